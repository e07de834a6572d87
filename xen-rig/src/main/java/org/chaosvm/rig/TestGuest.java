package org.chaosvm.rig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rig's test guest: Debian's kernel with a busybox initramfs (xen-rig/guest/init) that prints
 * one line on its console, {@value #GREETING}..., then acts according to its {@link Mode}.
 */
public final class TestGuest {
  /** The start of the line the guest prints on its console once it is up. */
  public static final String GREETING = "chaos-rig guest: hello from ";

  /** Memory the guest needs: the Debian kernel image alone is about 58 MB unpacked. */
  public static final int MEMORY_MIB = 256;

  /** What the guest does after its greeting; chosen by {@code rig.mode=} on its command line. */
  public enum Mode {
    /** Power off at once. */
    HELLO,
    /** Stay up until destroyed. */
    WAIT,
    /** Crash the kernel. */
    CRASH,
    /** Answer each line typed on the console with {@code chaos-rig guest: you said [LINE]}. */
    ECHO,
    /**
     * Stay up and report each network interface or disk that comes or goes ({@code chaos-rig guest:
     * device added eth1}, {@code ... device removed xvdc}).
     */
    DEVICES;

    public String argument() {
      return "rig.mode=" + name().toLowerCase(Locale.ROOT);
    }
  }

  private TestGuest() {}

  /** The guest kernel in the rig's Dom0 (the rig exports it as RIG_GUEST_KERNEL). */
  public static Path kernel() {
    return imagePath("RIG_GUEST_KERNEL", "/rig/images/vmlinuz");
  }

  /** The guest initramfs in the rig's Dom0 (the rig exports it as RIG_GUEST_RAMDISK). */
  public static Path ramdisk() {
    return imagePath("RIG_GUEST_RAMDISK", "/rig/images/guest.cpio.gz");
  }

  /** The kernel command line that selects {@code mode} and puts the console on hvc0. */
  public static String commandLine(Mode mode) {
    return "console=hvc0 quiet " + mode.argument();
  }

  /** An xl.cfg for this guest, named {@code name}, destroyed on poweroff and crash. */
  public static String xlConfig(String name, Mode mode) {
    return xlConfig(name, mode, "");
  }

  /**
   * An xl.cfg as {@link #xlConfig(String, Mode)} with {@code arguments} added to the guest's
   * command line (e.g. {@code rig.ip=10.0.0.2/24 rig.disk=xvdb}: see xen-rig/guest/init) and {@code
   * lines} added to the config (e.g. its vif and disk).
   */
  public static String xlConfig(String name, Mode mode, String arguments, String... lines) {
    List<String> config =
        new ArrayList<>(
            List.of(
                "name = \"" + name + "\"",
                "type = \"pv\"",
                "kernel = \"" + kernel() + "\"",
                "ramdisk = \"" + ramdisk() + "\"",
                "extra = \"" + (commandLine(mode) + " " + arguments).strip() + "\"",
                "memory = " + MEMORY_MIB,
                "vcpus = 1",
                "on_poweroff = \"destroy\"",
                "on_crash = \"destroy\""));
    config.addAll(List.of(lines));
    config.add("");
    return String.join("\n", config);
  }

  /** Writes {@link #xlConfig} to {@code dir/NAME.cfg} and returns its path. */
  public static Path writeXlConfig(Path dir, String name, Mode mode) {
    Path file = dir.resolve(name + ".cfg");
    try {
      Files.writeString(file, xlConfig(name, mode));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return file;
  }

  /**
   * An ext2 image of 8 MiB, {@code dir/NAME.img}, holding {@code marker-in} with {@code text}: the
   * disk the guest's {@code rig.disk=VDEV} reads and writes {@code marker-out} on.
   */
  public static Path markerDisk(Path dir, String name, String text) {
    try {
      Path content = Files.createDirectories(dir.resolve(name + ".d"));
      Files.writeString(content.resolve("marker-in"), text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lay out " + name + "'s disk", e);
    }
    return ext2Image(dir.resolve(name + ".d"), dir.resolve(name + ".img"), "8M");
  }

  /**
   * An ext2 image of {@code size} (mke2fs's) at {@code image}, holding what {@code content} does.
   */
  private static Path ext2Image(Path content, Path image, String size) {
    Command.run(
            Duration.ofSeconds(60),
            "mke2fs",
            "-q",
            "-t",
            "ext2",
            "-d",
            content.toString(),
            image.toString(),
            size)
        .orThrow();
    return image;
  }

  /**
   * PV-GRUB2 in the rig's Dom0, Debian's grub-x86_64-xen.bin (the rig exports it as RIG_PVGRUB).
   */
  public static Path pvGrub() {
    return imagePath("RIG_PVGRUB", "/rig/images/grub-x86_64-xen.bin");
  }

  /**
   * A disk image this guest boots from with a bootloader (PV-GRUB2, pygrub), as a Debian guest's
   * own disk holds its kernel: an ext2 file system (no partition table) with the kernel and the
   * initramfs in /boot and a GRUB 2 config, /boot/grub/grub.cfg, whose one entry boots them in
   * {@code mode}. Written to {@code dir/NAME.img}.
   */
  public static Path bootDisk(Path dir, String name, Mode mode) {
    Path content = dir.resolve(name + ".boot.d");
    Path image = dir.resolve(name + ".img");
    try {
      Files.createDirectories(content.resolve("boot/grub"));
      Files.copy(kernel(), content.resolve("boot/vmlinuz"));
      Files.copy(ramdisk(), content.resolve("boot/initrd.gz"));
      Files.writeString(
          content.resolve("boot/grub/grub.cfg"),
          String.join(
              "\n",
              "set default=0",
              "set timeout=0",
              "menuentry 'chaos-rig test guest' {",
              "  linux /boot/vmlinuz " + commandLine(mode),
              "  initrd /boot/initrd.gz",
              "}",
              ""));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lay out " + content, e);
    }
    return ext2Image(content, image, "64M");
  }

  /** The path in environment variable {@code variable}, or {@code fallback} when it is unset. */
  static Path imagePath(String variable, String fallback) {
    String value = System.getenv(variable);
    return Path.of(value == null || value.isEmpty() ? fallback : value);
  }
}
