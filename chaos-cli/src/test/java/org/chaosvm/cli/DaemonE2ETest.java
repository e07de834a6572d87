package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * chaos's main job on real Xen: chaos-daemon runs as its own process with a pool of one 256x1
 * shell; the chaos command (in-process, over the real socket) creates, lists, shuts down and
 * destroys guests. Ends by stopping the daemon and checking only Domain-0 is left.
 */
@Tag("xen")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DaemonE2ETest {
  private static final Duration LIMIT = Duration.ofSeconds(180);

  @TempDir static Path dir;
  static Path socket;
  static Process daemon;
  static Path daemonLog;

  record Run(int code, String out, String err) {}

  static Run chaos(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> argv = new ArrayList<>(List.of(args));
    argv.add("--socket=" + socket);
    int code = Chaos.run(new PrintWriter(out), new PrintWriter(err), argv.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  static Path config(String name, TestGuest.Mode mode) {
    return TestGuest.writeXlConfig(dir, name, mode);
  }

  @BeforeAll
  static void startDaemon() throws Exception {
    socket = dir.resolve("chaos.sock");
    daemonLog = dir.resolve("daemon.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    daemon =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "org.chaosvm.daemon.ChaosDaemon",
                "--socket",
                socket.toString(),
                "--pool",
                "256x1=1")
            .redirectErrorStream(true)
            .redirectOutput(daemonLog.toFile())
            .start();
    awaitPool("256x1", 1);
  }

  /** Waits until {@code chaos info} shows the class at its target. */
  static void awaitPool(String size, int ready) throws Exception {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      assertTrue(daemon.isAlive(), "chaos-daemon died:\n" + Files.readString(daemonLog));
      Run info = chaos("info");
      if (info.code() == 0
          && info.out().contains(size + " ")
          && info.out().matches("(?s).*" + size + "\\s+" + ready + " / .*")) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        "pool never reached "
            + ready
            + " ready "
            + size
            + " shells:\n"
            + Files.readString(daemonLog));
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    daemon.destroy(); // SIGTERM, as systemd stops it
    assertTrue(daemon.waitFor(60, TimeUnit.SECONDS), "chaos-daemon did not stop");
    System.out.println("--- chaos-daemon's log ---\n" + Files.readString(daemonLog));
    assertEquals(List.of("Domain-0"), Xl.domainNames(), "the daemon left domains behind");
  }

  /** Waits until xl list shows exactly {@code names}, besides the pool's shells. */
  static void awaitOnly(List<String> names) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!guestNames().equals(names) && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
    assertEquals(names, guestNames());
  }

  static List<String> guestNames() {
    return Xl.domainNames().stream().filter(name -> !name.startsWith("chaos-shell-")).toList();
  }

  @Test
  @Order(1)
  void createdGuestRunsIsListedByBothToolsAndShutdownWaitReapsIt() throws Exception {
    ConsoleLog console = ConsoleLog.of("e2e-web").sinceNow();

    Run created = chaos("create", config("e2e-web", TestGuest.Mode.WAIT).toString());

    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("created e2e-web"), created.out());
    assertTrue(created.out().contains("from the pool"), created.out());
    assertTrue(console.awaitLineContaining(TestGuest.GREETING, LIMIT).endsWith("(mode wait)"));
    assertTrue(chaos("list").out().contains("e2e-web"));
    assertTrue(Xl.domainNames().contains("e2e-web"));

    Run shutdown = chaos("shutdown", "-w", "e2e-web");

    assertEquals(0, shutdown.code(), shutdown.err());
    assertTrue(console.awaitLineContaining("powering off", LIMIT).contains("powering off"));
    Xl.awaitGone("e2e-web", LIMIT); // on_poweroff = destroy, applied by the daemon
    assertFalse(chaos("list").out().contains("e2e-web"));
  }

  @Test
  @Order(2)
  void destroyEndsARunningGuestAndThePoolRefills() throws Exception {
    Run created = chaos("create", config("e2e-db", TestGuest.Mode.WAIT).toString());
    assertEquals(0, created.code(), created.err());

    Run destroyed = chaos("destroy", "e2e-db");

    assertEquals(0, destroyed.code(), destroyed.err());
    Xl.awaitGone("e2e-db", LIMIT);
    awaitPool("256x1", 1);
  }

  @Test
  @Order(3)
  void createWithNoFittingShellBuildsOne() throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("big.cfg"),
            TestGuest.xlConfig("e2e-big", TestGuest.Mode.WAIT)
                .replace("memory = 256", "memory = 320"));

    Run created = chaos("create", config.toString());

    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from a new shell"), created.out());
    assertEquals(0, chaos("destroy", "e2e-big").code());
    Xl.awaitGone("e2e-big", LIMIT);
  }

  @Test
  @Order(4)
  void badInputsGetTheirMessageAndExitCode() throws Exception {
    Run missing = chaos("create", dir.resolve("nope.cfg").toString());
    assertEquals(ExitCodes.CONFIG, missing.code());
    assertTrue(missing.err().contains("no such file"), missing.err());

    Path unknownKey =
        Files.writeString(
            dir.resolve("bad.cfg"), "name = \"x\"\nkernel = \"/k\"\nbootloader = \"pygrub\"\n");
    Run bad = chaos("create", unknownKey.toString());
    assertEquals(ExitCodes.CONFIG, bad.code());
    assertTrue(
        bad.err().contains("bad.cfg:3:1: unknown or unsupported key 'bootloader'"), bad.err());

    Run unknown = chaos("destroy", "no-such-guest");
    assertEquals(ExitCodes.NOT_FOUND, unknown.code());
    assertTrue(unknown.err().contains("no chaos guest named no-such-guest"), unknown.err());

    Path huge =
        Files.writeString(
            dir.resolve("huge.cfg"),
            TestGuest.xlConfig("e2e-huge", TestGuest.Mode.WAIT)
                .replace("memory = 256", "memory = 65536"));
    Run tooBig = chaos("create", huge.toString());
    assertEquals(ExitCodes.NO_CAPACITY, tooBig.code(), tooBig.err());

    assertEquals(0, chaos("create", config("e2e-twice", TestGuest.Mode.WAIT).toString()).code());
    Run twice = chaos("create", config("e2e-twice", TestGuest.Mode.WAIT).toString());
    assertEquals(ExitCodes.EXISTS, twice.code(), twice.err());
    assertEquals(0, chaos("destroy", "e2e-twice").code());

    StringWriter err = new StringWriter();
    int down =
        Chaos.run(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err),
            "list",
            "--socket=" + dir.resolve("no-daemon.sock"));
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, down);
    assertTrue(err.toString().contains("is it running?"), err.toString());

    awaitOnly(List.of("Domain-0"));
  }
}
