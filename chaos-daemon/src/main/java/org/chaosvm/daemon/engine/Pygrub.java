package org.chaosvm.daemon.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.chaosvm.daemon.config.Bootloader;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.libxc.BlockDevices;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.LoopDevice;
import org.chaosvm.libxc.UnixUser;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.ErrorCode;

/**
 * Xen's pygrub, run as xl runs it under Xen 4.17's {@code bootloader_restrict}: pygrub parses a
 * file system the guest controls, so it runs with {@code --runas} (it enters new namespaces, a
 * read-only chroot holding only the disk, with no rights to speak of, then drops to the user) and
 * within a time limit. It reads the guest's first disk, as xl's does, and writes the kernel and
 * ramdisk it chose into a folder of the daemon's, removed once the domain is built.
 *
 * <p>The user needs no right to the guest's image: pygrub is given a device node of its own,
 * readable by that user alone, for a read-only loop device on the image (or for the block device
 * the disk is).
 */
final class Pygrub {
  /** How long pygrub may take (it copies the kernel and ramdisk out of the guest's disk). */
  static final Duration LIMIT = Duration.ofSeconds(60);

  /** The user pygrub runs as; the chaos package creates it. */
  static final String USER = "chaos-bootloader";

  /** Where Xen's tools put pygrub: Debian's, then Xen's own install's. */
  private static final List<String> PLACES =
      List.of(
          "/usr/lib/xen-4.17/bin/pygrub", "/usr/libexec/xen/bin/pygrub", "/usr/lib/xen/bin/pygrub");

  private final Path workDir;

  /** {@code workDir}: the daemon's folder for bootloaders' output (one folder per domain). */
  Pygrub(Path workDir) {
    this.workDir = workDir;
  }

  /** What pygrub chose; its files stay until {@link #close}. */
  record Boot(Path kernel, Optional<Path> ramdisk, String cmdline, Path dir)
      implements AutoCloseable {
    /** The guest to build: as the bootloader has chosen it. */
    GuestConfig of(GuestConfig guest) {
      return guest.withBoot(kernel, ramdisk, cmdline);
    }

    @Override
    public void close() {
      deleteTree(dir);
    }
  }

  /** Runs pygrub for {@code guest}, which is becoming domain {@code domid}. */
  Boot run(DomId domid, GuestConfig guest) {
    Bootloader bootloader = guest.bootloader().orElseThrow();
    Path program = program(bootloader);
    if (guest.disks().isEmpty()) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "bootloader = \""
              + bootloader.program()
              + "\" boots the guest from its first disk, and "
              + guest.name()
              + "'s config has no disk");
    }
    DiskSpec disk = guest.disks().get(0);
    UnixUser user =
        UnixUser.named(USER)
            .filter(u -> !u.isRoot())
            .orElseThrow(
                () ->
                    new ChaosException(
                        ErrorCode.CONFIG,
                        "pygrub runs as the user "
                            + USER
                            + ", which Dom0 does not have: create it (useradd --system "
                            + USER
                            + "; the chaos package does)"));
    Path dir = workDir.resolve("bootloader." + domid.value() + ".d");
    try {
      deleteTree(dir); // an earlier daemon's, for an earlier domain of this number
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path output = Files.createFile(dir.resolve("output"));
      Path log = dir.resolve("log");
      Path kernelsDir = Files.createDirectory(dir.resolve("boot"));
      try (DiskNode node = DiskNode.of(disk, dir.resolve("disk"), user)) {
        List<String> command = new ArrayList<>();
        command.add(program.toString());
        command.add("-q");
        command.add("--output=" + output);
        command.add("--output-format=simple0");
        command.add("--output-directory=" + kernelsDir);
        command.add("--runas=" + user.uid());
        bootloader.kernel().ifPresent(k -> command.add("--kernel=" + k));
        bootloader.ramdisk().ifPresent(r -> command.add("--ramdisk=" + r));
        if (!guest.cmdline().isEmpty()) {
          command.add("--args=" + guest.cmdline());
        }
        command.addAll(bootloader.args());
        command.add(node.path().toString());
        runToEnd(command, log, guest, disk);
      }
      Boot boot = parse(Files.readString(output, StandardCharsets.UTF_8), guest, dir);
      Files.deleteIfExists(output);
      return boot;
    } catch (IOException e) {
      deleteTree(dir);
      throw new ChaosException(
          ErrorCode.INTERNAL, "cannot run pygrub for " + guest.name() + " in " + dir + ": " + e, e);
    } catch (RuntimeException e) {
      deleteTree(dir);
      throw e;
    }
  }

  /** Xen's pygrub, if that is what {@code bootloader} names. */
  private static Path program(Bootloader bootloader) {
    Optional<Path> pygrub = PLACES.stream().map(Path::of).filter(Files::isExecutable).findFirst();
    String named = bootloader.program();
    boolean isPygrub =
        named.equals("pygrub")
            || pygrub
                .filter(p -> Path.of(named).toAbsolutePath().normalize().equals(p))
                .isPresent();
    if (!isPygrub) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "bootloader \""
              + named
              + "\" is not supported: chaos runs Xen's pygrub only (bootloader = \"pygrub\"), or"
              + " boots PV-GRUB2 as the guest's kernel");
    }
    return pygrub.orElseThrow(
        () ->
            new ChaosException(
                ErrorCode.CONFIG,
                "bootloader = \"pygrub\": Xen's pygrub is not installed in Dom0 (looked in "
                    + String.join(", ", PLACES)
                    + "; Debian's xen-utils has it)"));
  }

  private static void runToEnd(List<String> command, Path log, GuestConfig guest, DiskSpec disk)
      throws IOException {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    boolean ended;
    try {
      ended = process.waitFor(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ended = false;
    }
    if (!ended) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw new ChaosException(
          ErrorCode.CONFIG,
          "pygrub did not finish within "
              + LIMIT.toSeconds()
              + " s reading "
              + guest.name()
              + "'s disk "
              + disk.vdev()
              + " ("
              + disk.target()
              + ")");
    }
    if (process.exitValue() != 0) {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      String said =
          String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size())).strip();
      throw new ChaosException(
          ErrorCode.CONFIG,
          "pygrub cannot boot "
              + guest.name()
              + " from its disk "
              + disk.vdev()
              + " ("
              + disk.target()
              + "): exit "
              + process.exitValue()
              + (said.isEmpty() ? "" : ": " + said));
    }
  }

  /** pygrub's {@code simple0} output: "kernel PATH", "ramdisk PATH", "args TEXT", NUL-ended. */
  static Boot parse(String output, GuestConfig guest, Path dir) {
    Optional<Path> kernel = Optional.empty();
    Optional<Path> ramdisk = Optional.empty();
    String args = "";
    for (String entry : output.split("\0")) {
      if (entry.startsWith("kernel ")) {
        kernel = Optional.of(Path.of(entry.substring("kernel ".length())));
      } else if (entry.startsWith("ramdisk ")) {
        ramdisk = Optional.of(Path.of(entry.substring("ramdisk ".length())));
      } else if (entry.startsWith("args ")) {
        args = entry.substring("args ".length());
      }
    }
    for (Path file : Stream.concat(kernel.stream(), ramdisk.stream()).toList()) {
      if (!file.toAbsolutePath().normalize().startsWith(dir)) {
        throw new ChaosException(
            ErrorCode.CONFIG,
            "pygrub gave " + file + " for " + guest.name() + ", outside its folder " + dir);
      }
    }
    Path chosen =
        kernel.orElseThrow(
            () ->
                new ChaosException(
                    ErrorCode.CONFIG,
                    "pygrub found no kernel to boot on " + guest.name() + "'s disk"));
    return new Boot(chosen, ramdisk, args, dir);
  }

  /**
   * A device node for pygrub alone: the disk's block device, or a read-only loop device on its
   * image, as a node readable by {@code user} only, in the daemon's folder.
   */
  private record DiskNode(Path path, Optional<LoopDevice> loop) implements AutoCloseable {
    static DiskNode of(DiskSpec disk, Path path, UnixUser user) throws IOException {
      Path target = Path.of(disk.target());
      Optional<LoopDevice> loop = Optional.empty();
      Optional<String> device = BlockDevices.physicalDevice(target);
      try {
        if (device.isEmpty()) {
          try {
            loop = Optional.of(LoopDevice.attach(target, false));
          } catch (XenException e) {
            throw new ChaosException(
                ErrorCode.CONFIG,
                "disk " + disk.vdev() + ": cannot read " + target + " for pygrub: " + e,
                e);
          }
          device = BlockDevices.physicalDevice(loop.get().path());
        }
        mknod(path, device.orElseThrow());
        Files.setAttribute(path, "unix:uid", user.uid());
        return new DiskNode(path, loop);
      } catch (RuntimeException | IOException e) {
        loop.ifPresent(LoopDevice::close);
        throw e;
      }
    }

    @Override
    public void close() {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        // removed with its folder
      }
      loop.ifPresent(LoopDevice::close);
    }
  }

  /**
   * A block device node, mode 0400, for {@code majorMinor} ("MAJOR:MINOR", hexadecimal, as {@link
   * BlockDevices} gives it): mknod(1), since Java cannot make one; throws with its output.
   */
  private static void mknod(Path node, String majorMinor) throws IOException {
    String[] numbers = majorMinor.split(":");
    List<String> command =
        List.of(
            "mknod",
            "-m",
            "0400",
            node.toString(),
            "b",
            Long.toString(Long.parseLong(numbers[0], 16)),
            Long.toString(Long.parseLong(numbers[1], 16)));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command)
              + ": "
              + new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                  .strip());
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + dir, e);
    }
  }
}
