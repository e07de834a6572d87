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
 * One chaos-daemon process (a pool of one 256x1 shell, its socket given to the group chaos-e2e) and
 * the chaos command (in-process, over the real socket) pointed at it. The daemon is shared by the
 * classes that extend this one, which run one after another ({@code @Order(1)}): each start costs
 * some 45 s under TCG. A test may replace it (a kill and a restart); after each class no guest may
 * be left. {@link SharedDaemonListener} stops it before any other class runs (another daemon would
 * take its shells for a dead daemon's) and at the end.
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

  /** The shared daemon's folder (socket, logs): it outlives each class's temporary folder. */
  private static final Path DAEMON_DIR = Path.of("/tmp/chaos-e2e-daemon");

  /** How much of the daemon's log came before this class. */
  private static int logMark;

  @BeforeAll
  static void startDaemon() throws Exception {
    Command.run(LIMIT, "groupadd", "--force", GROUP).orThrow();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    if (daemon == null || !daemon.isAlive()) {
      daemon = newDaemon();
    } else {
      System.out.println("chaos-daemon: the shared one, started before this class");
    }
    daemon.awaitPool("256x1", 1);
    logMark = daemon.logText().length();
  }

  /** A daemon as the shared one, on its socket (a test's restart too). */
  static DaemonProcess newDaemon() throws Exception {
    Files.createDirectories(DAEMON_DIR);
    Files.setPosixFilePermissions(DAEMON_DIR, PosixFilePermissions.fromString("rwxr-xr-x"));
    return new DaemonProcess(DAEMON_DIR)
        .option("--group", GROUP)
        .option("--worker-keepalive", Integer.toString(KEEPALIVE_SECONDS))
        .start("256x1=1");
  }

  /** Stops the shared daemon, if one runs (then only Domain-0 may be left). */
  static synchronized void stopShared() throws Exception {
    if (daemon == null) {
      return;
    }
    DaemonProcess stopping = daemon;
    daemon = null;
    if (stopping.isAlive()) {
      String log = stopping.stop();
      System.out.println("--- the shared chaos-daemon stopped; its log's end ---\n" + tail(log));
    }
    assertEquals(List.of("Domain-0"), Xl.domainNames(), "the shared daemon left domains behind");
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
  static void checkNothingLeft() throws Exception {
    String log = daemon.logText();
    System.out.println(
        "--- chaos-daemon's log in this class ---\n"
            + log.substring(Math.min(logMark, log.length())));
    if (!daemon.isAlive()) {
      // A test ended with the daemon stopped (the soak looks at what a stop leaves): the next
      // class starts another.
      daemon = null;
      assertEquals(List.of("Domain-0"), Xl.domainNames(), "the daemon left domains behind");
      return;
    }
    DaemonProcess.awaitOnly(List.of("Domain-0")); // the pool's shell aside
  }

  private static String tail(String log) {
    String[] lines = log.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 20), lines.length));
  }
}
