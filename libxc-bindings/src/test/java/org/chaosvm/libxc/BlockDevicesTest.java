package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which files are Dom0's block devices: the kernel's word on the file, never its name. */
class BlockDevicesTest {
  @TempDir Path dir;

  @Test
  void aRegularFileNamedLikeABlockDeviceIsNotOne() throws Exception {
    // under /dev, where anyone may write a file (/dev/shm), and named as Dom0's own disks
    assumeTrue(Files.isDirectory(Path.of("/dev/shm")), "no /dev/shm here");
    Path dev = Files.createTempDirectory(Path.of("/dev/shm"), "chaos-test");
    try {
      for (String name : new String[] {"vda", "loop0", "sda"}) {
        Path file = Files.writeString(dev.resolve(name), "");
        assertEquals(Optional.empty(), BlockDevices.physicalDevice(file), file.toString());
        Files.delete(file);
      }
    } finally {
      Files.delete(dev);
    }
    assertEquals(
        Optional.empty(), BlockDevices.physicalDevice(Path.of("/dev/null"))); // a char device
  }

  @Test
  void aBlockDeviceIsNumberedAsSysfsNumbersIt() throws Exception {
    Path sysfs = Path.of("/sys/class/block/loop0/dev");
    assumeTrue(Files.exists(Path.of("/dev/loop0")) && Files.exists(sysfs), "no loop0 here");
    String[] numbers = Files.readString(sysfs).strip().split(":");
    String expected =
        Integer.toHexString(Integer.parseInt(numbers[0]))
            + ":"
            + Integer.toHexString(Integer.parseInt(numbers[1]));
    assertEquals(Optional.of(expected), BlockDevices.physicalDevice(Path.of("/dev/loop0")));
    Path link = Files.createSymbolicLink(dir.resolve("disk"), Path.of("/dev/loop0"));
    assertEquals(Optional.of(expected), BlockDevices.physicalDevice(link));
  }
}
