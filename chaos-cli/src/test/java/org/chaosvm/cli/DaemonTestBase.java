package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * One chaos-daemon process for a test class (a pool of one 256x1 shell, its socket given to the
 * group chaos-e2e) and the chaos command (in-process, over the real socket) pointed at it. After
 * the class, the daemon is stopped and only Domain-0 may be left.
 */
abstract class DaemonTestBase {
  static final Duration LIMIT = DaemonProcess.LIMIT;

  @TempDir static Path dir;
  static DaemonProcess daemon;

  static DaemonProcess.Run chaos(String... args) {
    return daemon.chaos(args);
  }

  static Path config(String name, TestGuest.Mode mode) {
    return TestGuest.writeXlConfig(dir, name, mode);
  }

  /**
   * The unikernel, idle, at the pool's size (256 MiB) unless {@code settings} say otherwise: a
   * guest for tests of the daemon that need one to exist, not Linux's boot (some 10 to 25 s of the
   * rig's time each).
   */
  static Path idleGuest(String name, String... settings) {
    String[] all = new String[settings.length + 1];
    all[0] = "memory = " + TestGuest.MEMORY_MIB;
    System.arraycopy(settings, 0, all, 1, settings.length);
    return Unikernel.writeXlConfig(dir, name, Unikernel.Mode.NOOP, all);
  }

  /** How long the daemon's idle workers stay (short: a test sees them end). */
  static final int KEEPALIVE_SECONDS = 2;

  /** The group the daemon gives its socket to; created in Dom0 for the test. */
  static final String GROUP = "chaos-e2e";

  @BeforeAll
  static void startDaemon() throws Exception {
    Command.run(LIMIT, "groupadd", "--force", GROUP).orThrow();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    daemon = newDaemon();
  }

  /** A daemon as this class's, on its socket. */
  static DaemonProcess newDaemon() throws Exception {
    return new DaemonProcess(dir)
        .option("--group", GROUP)
        .option("--worker-keepalive", Integer.toString(KEEPALIVE_SECONDS))
        .start("256x1=1");
  }

  /** The domid in a create's output ("created NAME (domid N) ..."). */
  static int domidOf(DaemonProcess.Run created) {
    Matcher m = Pattern.compile("\\(domid (\\d+)\\)").matcher(created.out());
    assertTrue(m.find(), created.out());
    return Integer.parseInt(m.group(1));
  }

  /** Waits until {@code chaos list} has a line for {@code name} that matches {@code line}. */
  static String awaitListed(String name, String line) throws Exception {
    return daemon.awaitListed(name, line);
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    System.out.println("--- chaos-daemon's log ---\n" + daemon.stop());
    assertEquals(List.of("Domain-0"), Xl.domainNames(), "the daemon left domains behind");
  }
}
