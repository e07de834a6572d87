package org.chaosvm.daemon.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.libxc.BlockDevices;
import org.chaosvm.libxc.Errno;
import org.chaosvm.libxc.UserFile;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.ErrorCode;

/**
 * The files of a member's create or attach, opened with the member's rights ({@link UserFile}): the
 * build then reads each through the open file ({@code /proc/self/fd/N}), so it uses what the member
 * could open and nothing else, whatever is at the path by then. A disk that turns out to be one of
 * Dom0's block devices is refused unless the policy names it ({@link MemberPolicy}); a policy's
 * device is opened by the daemon. Root's files are used as they are. Closing lets go of the files
 * (a loop device, once bound, holds its own).
 */
final class CallerFiles implements AutoCloseable {
  private final Caller caller;
  private final MemberPolicy policy;
  private final List<UserFile> opened = new ArrayList<>();

  CallerFiles(Caller caller, MemberPolicy policy) {
    this.caller = caller;
    this.policy = policy;
  }

  /** {@code guest} with each file reached as the caller may reach it. */
  GuestConfig open(GuestConfig guest) {
    if (caller.isRoot()) {
      return guest;
    }
    try {
      // A bootloader's kernel and ramdisk are on the guest's disk, which is opened below.
      Path kernel =
          guest.bootloader().isPresent() ? guest.kernel() : openFile(guest.kernel(), "kernel");
      Optional<Path> ramdisk = guest.ramdisk().map(path -> openFile(path, "ramdisk"));
      List<DiskSpec> disks = guest.disks().stream().map(this::open).toList();
      return guest.withFiles(kernel, ramdisk, disks);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** {@code disk} as the caller may have it. */
  DiskSpec open(DiskSpec disk) {
    if (caller.isRoot()) {
      return disk;
    }
    Path target = Path.of(disk.target());
    if (policy.allowsBlockDevice(target) && BlockDevices.physicalDevice(target).isPresent()) {
      return disk; // the daemon's configuration allows members this device
    }
    UserFile file = openAsCaller(target, disk.writable(), "disk " + disk.vdev());
    if (BlockDevices.physicalDevice(file.path()).isPresent()) {
      throw new ChaosException(
          ErrorCode.DENIED,
          caller.name()
              + " may not attach "
              + target
              + " (disk "
              + disk.vdev()
              + "): it is a block device of Dom0's, and members may attach only those"
              + " chaos-daemon --member-block-device names");
    }
    requireRegularFile(file, "disk " + disk.vdev());
    return disk.withTarget(file.path().toString());
  }

  private Path openFile(Path path, String what) {
    UserFile file = openAsCaller(path, false, what);
    requireRegularFile(file, what);
    return file.path();
  }

  private UserFile openAsCaller(Path path, boolean writable, String what) {
    UserFile file;
    try {
      file = UserFile.open(caller.user(), path, writable);
    } catch (XenException e) {
      String how = writable ? "read and write" : "read";
      if (e.errno() == Errno.EACCES || e.errno() == Errno.EPERM) {
        throw new ChaosException(
            ErrorCode.DENIED,
            caller.name()
                + " may not "
                + how
                + " "
                + path
                + " (the "
                + what
                + "): permission denied",
            e);
      }
      throw new ChaosException(
          ErrorCode.CONFIG,
          "cannot "
              + how
              + " "
              + path
              + " (the "
              + what
              + ") as "
              + caller.name()
              + ": "
              + e.errno(),
          e);
    }
    opened.add(file);
    return file;
  }

  private void requireRegularFile(UserFile file, String what) {
    if (!Files.isRegularFile(file.path())) {
      throw new ChaosException(
          ErrorCode.CONFIG, file.opened() + " (the " + what + ") is not a regular file");
    }
  }

  @Override
  public void close() {
    opened.forEach(UserFile::close);
    opened.clear();
  }
}
