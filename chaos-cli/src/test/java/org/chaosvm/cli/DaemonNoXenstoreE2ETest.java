package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.XenStored;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link NoxsDaemonCycle} on a Dom0 with no xenstored at all: the class stops xenstored and
 * xenconsoled, then runs {@code chaos-daemon --no-xenstore}, which binds VIRQ_DOM_EXC itself and
 * keeps every guest's name and record on disk. xenstored is not started again (a Dom0 kernel's
 * watches do not survive a new xenstored), so this class runs last ({@code xen-rig/dom0/e2e}).
 */
@Tag("xen")
@Order(Integer.MAX_VALUE)
class DaemonNoXenstoreE2ETest extends NoxsDaemonCycle {
  @BeforeAll
  static void start() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock: no noxs");
    XenStored.stop();
    startDaemon("--no-xenstore");
  }

  @AfterAll
  static void stop() throws Exception {
    stopDaemon();
  }

  @Test
  void aXenStoreGuestIsRefusedByNameAndLeavesNothing() {
    DaemonProcess.Run created =
        chaos("create", Unikernel.writeXlConfig(dir, "xs-guest", Unikernel.Mode.NOOP).toString());
    assertEquals(ExitCodes.CONFIG, created.code(), created.out());
    assertTrue(created.err().contains("this daemon serves noxs guests only"), created.err());
    assertTrue(created.err().contains("--no-xenstore"), created.err());
  }
}
