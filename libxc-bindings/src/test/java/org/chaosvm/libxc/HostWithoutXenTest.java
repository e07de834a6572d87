package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIf;

/**
 * On a machine that is not a Xen Dom0 (the build host), Xen's real libraries load and each open
 * fails through the funnel, naming the C function and its errno.
 */
@DisabledIf("runningOnXen")
class HostWithoutXenTest {
  static boolean runningOnXen() {
    return Files.exists(Path.of("/proc/xen/capabilities"));
  }

  @Test
  void openingXenctrlNamesTheFunctionAndTheErrno() {
    XenException e = assertThrows(XenException.class, XenCtrl::open);

    assertEquals("xc_interface_open", e.function());
    assertNotEquals(Errno.UNKNOWN, e.errno());
    assertTrue(e.getMessage().startsWith("xc_interface_open failed: E"), e.getMessage());
  }

  @Test
  void openingTheEventChannelDeviceNamesTheFunctionAndTheErrno() {
    XenException e = assertThrows(XenException.class, EventChannels::open);

    assertEquals("xenevtchn_open", e.function());
    assertNotEquals(Errno.UNKNOWN, e.errno());
  }

  @Test
  void openingTheHypercallDeviceNamesTheFunctionAndTheErrno() {
    XenException e = assertThrows(XenException.class, XenCall::open);

    assertEquals("xencall_open", e.function());
    assertNotEquals(Errno.UNKNOWN, e.errno());
  }

  @Test
  void errnoDescriptionCarriesTheNameAndTheCLibrarysText() {
    assertEquals("ESRCH (No such process)", Errno.ESRCH.describe());
    assertEquals(Errno.EAGAIN, Errno.of(11));
    assertEquals(Errno.UNKNOWN, Errno.of(100000));
  }
}
