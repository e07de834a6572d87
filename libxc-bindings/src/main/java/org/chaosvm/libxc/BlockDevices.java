package org.chaosvm.libxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    try {
      Path real = device.toRealPath();
      Path dev = Path.of("/sys/class/block").resolve(real.getFileName().toString()).resolve("dev");
      if (!real.startsWith("/dev") || !Files.exists(dev)) {
        return Optional.empty();
      }
      String[] numbers = Files.readString(dev).strip().split(":");
      return Optional.of(
          Integer.toHexString(Integer.parseInt(numbers[0]))
              + ":"
              + Integer.toHexString(Integer.parseInt(numbers[1])));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
