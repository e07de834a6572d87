package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The Dom0-side calls reach the kernel and report its refusals (any Linux host will do). */
class LinuxDevicesTest {
  @Test
  void anInterfaceThatDoesNotExistIsRefusedByTheKernel() {
    XenException e = assertThrows(XenException.class, () -> NetInterfaces.up("chaos-nosuch0"));
    assertEquals(Errno.ENODEV, e.errno());
    assertTrue(e.function().contains("SIOCGIFFLAGS"), e.getMessage());
    assertFalse(NetInterfaces.exists("chaos-nosuch0"));
    assertTrue(NetInterfaces.exists("lo"));
    assertFalse(NetInterfaces.isBridge("lo"));
  }

  @Test
  void interfaceNamesFollowTheKernelsRules() {
    assertTrue(NetInterfaces.validName("vif12.0"));
    assertFalse(NetInterfaces.validName("a-name-too-long0"));
    assertFalse(NetInterfaces.validName("a/b"));
    assertFalse(NetInterfaces.validName(""));
  }

  @Test
  void aMissingImageFileIsNamedInTheError() {
    XenException e =
        assertThrows(
            XenException.class,
            () -> LoopDevice.attach(Path.of("/nonexistent/chaos-disk.img"), false));
    assertEquals(Errno.ENOENT, e.errno());
    assertTrue(e.getMessage().contains("/nonexistent/chaos-disk.img"), e.getMessage());
  }

  @Test
  void onlyBlockDevicesHaveAPhysicalDeviceNumber() {
    assertTrue(BlockDevices.physicalDevice(Path.of("/dev/null")).isEmpty());
    assertTrue(BlockDevices.physicalDevice(Path.of("/nonexistent")).isEmpty());
  }
}
