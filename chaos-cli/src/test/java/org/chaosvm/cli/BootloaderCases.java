package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Dom0Devices;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.Test;

/**
 * Guests that boot from their own disk, as a Debian guest does: PV-GRUB2 as the guest's kernel
 * (Debian's grub-x86_64-xen.bin) reads GRUB's config on the guest's disk and boots the kernel and
 * initramfs it names. Each boot must reach the guest's init; before chaos waited for the back ends,
 * GRUB found no disk in about half of them. How many creates and reboots: the subclass says (the
 * suite's few, the stress run's many).
 */
abstract class BootloaderCases extends DaemonTestBase {
  private static final Duration BOOT = Duration.ofSeconds(240);

  /** How many times the guest is created from the pool, then rebooted with chaos reboot. */
  abstract int creates();

  abstract int reboots();

  private static Path pvGrubConfig(String name, Path disk) throws Exception {
    return Files.writeString(
        dir.resolve(name + ".cfg"),
        String.join(
            "\n",
            List.of(
                "name = \"" + name + "\"",
                "type = \"pv\"",
                "kernel = \"" + TestGuest.pvGrub() + "\"",
                "memory = " + TestGuest.MEMORY_MIB,
                "disk = [ '" + disk + ",raw,xvda,rw' ]",
                "on_poweroff = \"destroy\"",
                "on_crash = \"destroy\"",
                "")));
  }

  /**
   * pygrub in Dom0 (bootloader = "pygrub") reads the same kind of disk, as the unprivileged user
   * chaos-bootloader, which has no right to the image (0600, root's): it is given a device node of
   * its own. Its kernel and ramdisk are gone once the guest is built; each reboot runs it again.
   * Another bootloader is refused by name.
   */
  @Test
  void pygrubBootsTheGuestFromItsDiskAsAnUnprivilegedUser() throws Exception {
    // As the chaos package makes it.
    Command.run(
            LIMIT,
            "sh",
            "-c",
            "getent passwd chaos-bootloader || useradd --system --user-group --no-create-home"
                + " --home-dir /nonexistent --shell /usr/sbin/nologin chaos-bootloader")
        .orThrow();
    Path disk = TestGuest.bootDisk(dir, "e2e-pygrub", TestGuest.Mode.WAIT);
    Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rw-------"));
    Path config =
        Files.writeString(
            dir.resolve("e2e-pygrub.cfg"),
            String.join(
                "\n",
                "name = \"e2e-pygrub\"",
                "bootloader = \"pygrub\"",
                "memory = " + TestGuest.MEMORY_MIB,
                "disk = [ '" + disk + ",raw,xvda,rw' ]",
                ""));
    bootsOnEveryCreateAndReboot("e2e-pygrub", config, true);
    assertEquals(List.of(), Dom0Devices.loopDevicesOf(disk));
    assertEquals(List.of(), bootloaderFolders());

    Files.writeString(config, Files.readString(config).replace("\"pygrub\"", "\"/bin/sh\""));
    DaemonProcess.Run refused = chaos("create", config.toString());
    assertEquals(ExitCodes.CONFIG, refused.code(), refused.err());
    assertTrue(refused.err().contains("bootloader \"/bin/sh\" is not supported"), refused.err());
  }

  /** What pygrub's runs left in the daemon's folder. */
  private static List<String> bootloaderFolders() throws Exception {
    try (Stream<Path> files = Files.list(Path.of("/var/lib/chaos"))) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(f -> f.startsWith("bootloader."))
          .toList();
    }
  }

  @Test
  void pvGrub2BootsTheGuestFromItsDiskOnEveryCreateAndReboot() throws Exception {
    Path disk = TestGuest.bootDisk(dir, "e2e-grub", TestGuest.Mode.WAIT);
    bootsOnEveryCreateAndReboot("e2e-grub", pvGrubConfig("e2e-grub", disk), false);
  }

  /**
   * The guest of {@code config} reaches its init on each of {@link #creates} creates from the pool
   * and {@link #reboots} reboots, then is destroyed; with {@code pygrub}, each create shows
   * pygrub's phase and leaves no bootloader folder.
   */
  private void bootsOnEveryCreateAndReboot(String name, Path config, boolean pygrub)
      throws Exception {
    for (int i = 1; i <= creates(); i++) {
      ConsoleLog console = ConsoleLog.of(name).sinceNow();
      daemon.awaitPool("256x1", 1);
      DaemonProcess.Run created = chaos("create", config.toString());
      assertEquals(0, created.code(), created.err());
      assertTrue(created.out().contains("from the pool"), created.out());
      assertEquals(pygrub, created.out().contains("bootloader"), created.out());
      console.awaitLineContaining(TestGuest.GREETING, BOOT);
      if (pygrub) {
        assertEquals(List.of(), bootloaderFolders());
      }
      if (i < creates()) {
        assertEquals(0, chaos("destroy", name).code());
        Xl.awaitGone(name, LIMIT);
      }
    }
    for (int i = 1; i <= reboots(); i++) {
      ConsoleLog console = ConsoleLog.of(name).sinceNow();
      DaemonProcess.Run reboot = chaos("reboot", name);
      assertEquals(0, reboot.code(), reboot.err());
      console.awaitLineContaining("rebooting", LIMIT);
      console.sinceNow().awaitLineContaining(TestGuest.GREETING, BOOT);
    }
    String listed = chaos("list").out();
    assertTrue(listed.contains(pygrub ? "* booted by pygrub" : "+ booted by PV-GRUB2"), listed);
    assertEquals(0, chaos("destroy", name).code());
    Xl.awaitGone(name, LIMIT);
  }
}
