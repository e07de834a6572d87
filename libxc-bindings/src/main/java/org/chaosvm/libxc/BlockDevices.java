package org.chaosvm.libxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Dom0's block devices as blkback names them. */
public final class BlockDevices {
  private BlockDevices() {}

  /**
   * The block device's number in the form blkback reads from a vbd back-end's {@code
   * physical-device} node ("MAJOR:MINOR", hexadecimal), or empty when {@code device} is not a block
   * device.
   */
  public static Optional<String> physicalDevice(Path device) {
    // The kernel's word on the file itself (links followed), not its name: a regular file called
    // vda (in /dev/shm, say) is not Dom0's vda.
    try {
      Map<String, Object> attributes = Files.readAttributes(device, "unix:mode,rdev");
      if (((int) attributes.get("mode") & S_IFMT) != S_IFBLK) {
        return Optional.empty();
      }
      long rdev = (long) attributes.get("rdev");
      // glibc's gnu_dev_major and gnu_dev_minor
      long major = ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
      long minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
      return Optional.of(Long.toHexString(major) + ":" + Long.toHexString(minor));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static final int S_IFMT = 0170000;
  private static final int S_IFBLK = 0060000;
}
