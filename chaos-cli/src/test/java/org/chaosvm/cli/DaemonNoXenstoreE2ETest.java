package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.Unikernel;
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
  private static final Path XENSTORED_PID = Path.of("/run/xen/xenstored.pid");
  private static final Path XENCONSOLED_PID = Path.of("/run/xen/xenconsoled.pid");

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock: no noxs");
    stop(XENCONSOLED_PID);
    stop(XENSTORED_PID);
    startDaemon("--no-xenstore");
  }

  /** Stops a daemon of Xen's tools by its pid file, and waits until it is gone. */
  private static void stop(Path pidFile) throws Exception {
    if (!Files.exists(pidFile)) {
      return;
    }
    String pid = Files.readString(pidFile).strip();
    Command.run(DaemonProcess.LIMIT, "kill", pid);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (Files.exists(Path.of("/proc", pid))) {
      assertTrue(System.nanoTime() < deadline, pidFile + ": process " + pid + " did not stop");
      Thread.sleep(100);
    }
    Files.deleteIfExists(pidFile);
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
