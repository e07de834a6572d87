package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.PtySession;
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
  private static final Duration LIMIT = DaemonProcess.LIMIT;

  @TempDir static Path dir;
  static DaemonProcess daemon;

  static DaemonProcess.Run chaos(String... args) {
    return daemon.chaos(args);
  }

  static Path config(String name, TestGuest.Mode mode) {
    return TestGuest.writeXlConfig(dir, name, mode);
  }

  /** The group the daemon gives its socket to; created in Dom0 for the test. */
  private static final String GROUP = "chaos-e2e";

  @BeforeAll
  static void startDaemon() throws Exception {
    Command.run(LIMIT, "groupadd", "--force", GROUP).orThrow();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    daemon = new DaemonProcess(dir).option("--group", GROUP).start("256x1=1");
  }

  /** The domid in a create's output ("created NAME (domid N) ..."). */
  static int domidOf(DaemonProcess.Run created) {
    Matcher m = Pattern.compile("\\(domid (\\d+)\\)").matcher(created.out());
    assertTrue(m.find(), created.out());
    return Integer.parseInt(m.group(1));
  }

  /** Waits until {@code chaos list} has a line for {@code name} that matches {@code line}. */
  static String awaitListed(String name, String line) throws Exception {
    Pattern pattern = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\s+" + line + "$");
    long deadline = System.nanoTime() + LIMIT.toNanos();
    String list = "";
    while (System.nanoTime() < deadline) {
      list = chaos("list").out();
      Matcher m = pattern.matcher(list);
      if (m.find()) {
        return m.group();
      }
      Thread.sleep(500);
    }
    throw new AssertionError("chaos list never showed " + name + " as /" + line + "/:\n" + list);
  }

  /** Waits until {@code chaos info} shows the class with {@code ready} shells. */
  static void awaitPool(String size, int ready) throws Exception {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      DaemonProcess.Run info = chaos("info");
      if (info.code() == 0 && info.out().matches("(?s).*" + size + "\\s+" + ready + " / .*")) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        "pool never reached " + ready + " ready " + size + " shells:\n" + daemon.logText());
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    System.out.println("--- chaos-daemon's log ---\n" + daemon.stop());
    assertEquals(List.of("Domain-0"), Xl.domainNames(), "the daemon left domains behind");
  }

  @Test
  @Order(1)
  void createdGuestRunsIsListedByBothToolsAndShutdownWaitReapsIt() throws Exception {
    ConsoleLog console = ConsoleLog.of("e2e-web").sinceNow();

    DaemonProcess.Run created = chaos("create", config("e2e-web", TestGuest.Mode.WAIT).toString());

    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("created e2e-web"), created.out());
    assertTrue(created.out().contains("from the pool"), created.out());
    assertTrue(console.awaitLineContaining(TestGuest.GREETING, LIMIT).endsWith("(mode wait)"));
    assertTrue(chaos("list").out().contains("e2e-web"));
    assertTrue(Xl.domainNames().contains("e2e-web"));

    DaemonProcess.Run shutdown = chaos("shutdown", "-w", "e2e-web");

    assertEquals(0, shutdown.code(), shutdown.err());
    assertTrue(console.awaitLineContaining("powering off", LIMIT).contains("powering off"));
    Xl.awaitGone("e2e-web", LIMIT); // on_poweroff = destroy, applied by the daemon
    assertFalse(chaos("list").out().contains("e2e-web"));
  }

  @Test
  @Order(2)
  void destroyEndsARunningGuestAndThePoolRefills() throws Exception {
    DaemonProcess.Run created = chaos("create", config("e2e-db", TestGuest.Mode.WAIT).toString());
    assertEquals(0, created.code(), created.err());

    DaemonProcess.Run destroyed = chaos("destroy", "e2e-db");

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

    DaemonProcess.Run created = chaos("create", config.toString());

    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from a new shell"), created.out());
    assertEquals(0, chaos("destroy", "e2e-big").code());
    Xl.awaitGone("e2e-big", LIMIT);
  }

  @Test
  @Order(4)
  void badInputsGetTheirMessageAndExitCode() throws Exception {
    DaemonProcess.Run missing = chaos("create", dir.resolve("nope.cfg").toString());
    assertEquals(ExitCodes.CONFIG, missing.code());
    assertTrue(missing.err().contains("no such file"), missing.err());

    Path unknownKey =
        Files.writeString(
            dir.resolve("bad.cfg"), "name = \"x\"\nkernel = \"/k\"\nbootloader = \"pygrub\"\n");
    DaemonProcess.Run bad = chaos("create", unknownKey.toString());
    assertEquals(ExitCodes.CONFIG, bad.code());
    assertTrue(
        bad.err().contains("bad.cfg:3:1: unknown or unsupported key 'bootloader'"), bad.err());

    DaemonProcess.Run unknown = chaos("destroy", "no-such-guest");
    assertEquals(ExitCodes.NOT_FOUND, unknown.code());
    assertTrue(unknown.err().contains("no chaos guest named no-such-guest"), unknown.err());

    Path huge =
        Files.writeString(
            dir.resolve("huge.cfg"),
            TestGuest.xlConfig("e2e-huge", TestGuest.Mode.WAIT)
                .replace("memory = 256", "memory = 65536"));
    DaemonProcess.Run tooBig = chaos("create", huge.toString());
    assertEquals(ExitCodes.NO_CAPACITY, tooBig.code(), tooBig.err());

    assertEquals(0, chaos("create", config("e2e-twice", TestGuest.Mode.WAIT).toString()).code());
    DaemonProcess.Run twice = chaos("create", config("e2e-twice", TestGuest.Mode.WAIT).toString());
    assertEquals(ExitCodes.EXISTS, twice.code(), twice.err());
    assertEquals(0, chaos("destroy", "e2e-twice").code());

    DaemonProcess.Run down = new DaemonProcess(dir.resolve("nowhere")).chaos("list");
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, down.code());
    assertTrue(down.err().contains("is it running?"), down.err());

    DaemonProcess.awaitOnly(List.of("Domain-0"));
  }

  @Test
  @Order(5)
  void consoleTalksBothWaysThroughChaosConsoleAndXlConsole() throws Exception {
    DaemonProcess.Run created = chaos("create", config("e2e-echo", TestGuest.Mode.ECHO).toString());
    assertEquals(0, created.code(), created.err());

    Map<String, List<String>> clients = new LinkedHashMap<>();
    clients.put("via-chaos", daemon.chaosCommand("console", "e2e-echo"));
    clients.put("via-xl", List.of("xl", "console", "e2e-echo"));
    for (Map.Entry<String, List<String>> client : clients.entrySet()) {
      try (PtySession terminal = PtySession.start(client.getValue())) {
        String word = client.getKey();
        terminal.typeUntil(word, "you said [" + word + "]", Duration.ofSeconds(3), LIMIT);
        terminal.type("\u001d"); // Ctrl-], as a person leaves the console
        assertEquals(0, terminal.awaitExit(Duration.ofSeconds(30)), terminal.screen());
      }
    }
    assertEquals(0, chaos("destroy", "e2e-echo").code());
    Xl.awaitGone("e2e-echo", LIMIT);
  }

  @Test
  @Order(6)
  void rebootRestartsTheGuestAndACrashIsPreservedOrReapedAsConfigured() throws Exception {
    ConsoleLog console = ConsoleLog.of("e2e-boot").sinceNow();
    DaemonProcess.Run created = chaos("create", config("e2e-boot", TestGuest.Mode.WAIT).toString());
    assertEquals(0, created.code(), created.err());
    console.awaitLineContaining(TestGuest.GREETING, LIMIT);

    assertEquals(0, chaos("reboot", "e2e-boot").code()); // on_reboot: xl's default, restart
    console.awaitLineContaining("rebooting", LIMIT);
    ConsoleLog again = console.sinceNow();
    again.awaitLineContaining(TestGuest.GREETING, LIMIT);
    String listed = awaitListed("e2e-boot", "(\\d+) .*(running|blocked)");
    assertFalse(listed.matches("e2e-boot\\s+" + domidOf(created) + " .*"), listed);
    assertEquals(0, chaos("destroy", "e2e-boot").code());

    Path preserve =
        Files.writeString(
            dir.resolve("preserve.cfg"),
            TestGuest.xlConfig("e2e-crash", TestGuest.Mode.CRASH)
                .replace("on_crash = \"destroy\"", "on_crash = \"preserve\""));
    assertEquals(0, chaos("create", preserve.toString()).code());
    awaitListed("e2e-crash", ".*shutdown \\(crash\\)");
    assertTrue(Xl.domainNames().contains("e2e-crash"), "a preserved guest stays for inspection");
    assertEquals(0, chaos("destroy", "e2e-crash").code());

    assertEquals(0, chaos("create", config("e2e-reaped", TestGuest.Mode.CRASH).toString()).code());
    Xl.awaitGone("e2e-reaped", LIMIT); // on_crash = destroy
    Xl.awaitGone("e2e-boot", LIMIT);
    Xl.awaitGone("e2e-crash", LIMIT);
  }

  @Test
  @Order(7)
  void createCountMakesNumberedGuestsAndThePoolRefillsAfterTheBurst() throws Exception {
    DaemonProcess.Run created =
        chaos("create", "-n", "3", config("e2e-many", TestGuest.Mode.WAIT).toString());

    assertEquals(0, created.code(), created.err());
    List<String> names = List.of("e2e-many-1", "e2e-many-2", "e2e-many-3");
    for (String name : names) {
      assertTrue(created.out().contains("created " + name + " "), created.out());
      assertTrue(Xl.domainNames().contains(name), name);
    }
    awaitPool("256x1", 1);
    for (String name : names) {
      assertEquals(0, chaos("destroy", name).code());
      Xl.awaitGone(name, LIMIT);
    }
  }

  @Test
  @Order(8)
  void theSocketServesTheDaemonsGroupAndRefusesOtherUsers() throws Exception {
    String gid = Command.run(LIMIT, "getent", "group", GROUP).orThrow().output().split(":")[2];
    List<String> member =
        new ArrayList<>(
            List.of("setpriv", "--reuid=60001", "--regid=60001", "--groups=" + gid.trim()));
    member.addAll(daemon.chaosCommand("list"));
    List<String> outsider =
        new ArrayList<>(List.of("setpriv", "--reuid=60001", "--regid=60001", "--clear-groups"));
    outsider.addAll(daemon.chaosCommand("list"));

    Command.Result in = Command.run(LIMIT, member.toArray(String[]::new));
    Command.Result out = Command.run(LIMIT, outsider.toArray(String[]::new));

    assertEquals(0, in.exitCode(), in.output());
    assertTrue(in.output().contains("Domain-0"), in.output());
    assertEquals(ExitCodes.PERMISSION_DENIED, out.exitCode(), out.output());
    assertTrue(out.output().contains("permission denied on " + daemon.socket), out.output());
  }

  @Test
  @Order(9)
  void directCreatesAndDestroysWithoutTheDaemonAndLeavesItsPoolAlone() throws Exception {
    DaemonProcess.Run created =
        chaos("create", "--direct", config("e2e-direct", TestGuest.Mode.WAIT).toString());

    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from a new shell"), created.out());
    assertTrue(Xl.domainNames().contains("e2e-direct"));
    assertTrue(chaos("list", "--direct").out().contains("e2e-direct"));

    DaemonProcess.Run destroyed = chaos("destroy", "--direct", "e2e-direct");

    assertEquals(0, destroyed.code(), destroyed.err());
    Xl.awaitGone("e2e-direct", LIMIT);
    awaitPool("256x1", 1);
  }
}
