package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.PtySession;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * More of the daemon on real Xen: the console through chaos console and xl console, on_reboot and
 * on_crash, create -n, the config's uuid, --direct beside a running daemon (which adopts what it
 * creates), the names xl's guests hold, and a destroyed guest's nodes written again late.
 */
@Tag("xen")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(1) // with the other classes of the shared daemon, one after another
class DaemonGuestsE2ETest extends DaemonTestBase {
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

    // The crashes are the unikernel's (a Linux guest's boot costs some 20 s of the rig's time).
    Path preserve =
        Unikernel.writeXlConfig(dir, "e2e-crash", Unikernel.Mode.CRASH, "on_crash = \"preserve\"");
    assertEquals(0, chaos("create", preserve.toString()).code());
    awaitListed("e2e-crash", ".*shutdown \\(crash\\)");
    assertTrue(Xl.domainNames().contains("e2e-crash"), "a preserved guest stays for inspection");
    assertEquals(0, chaos("destroy", "e2e-crash").code());

    Path reaped = Unikernel.writeXlConfig(dir, "e2e-reaped", Unikernel.Mode.CRASH);
    assertEquals(0, chaos("create", reaped.toString()).code());
    Xl.awaitGone("e2e-reaped", LIMIT); // on_crash = destroy
    Xl.awaitGone("e2e-boot", LIMIT);
    Xl.awaitGone("e2e-crash", LIMIT);
  }

  @Test
  @Order(7)
  void createCountMakesNumberedGuestsAndThePoolRefillsAfterTheBurst() throws Exception {
    DaemonProcess.Run created = chaos("create", "-n", "3", idleGuest("e2e-many").toString());

    assertEquals(0, created.code(), created.err());
    List<String> names = List.of("e2e-many-1", "e2e-many-2", "e2e-many-3");
    for (String name : names) {
      assertTrue(created.out().contains("created " + name + " "), created.out());
      assertTrue(Xl.domainNames().contains(name), name);
    }
    daemon.awaitPool("256x1", 1);
    for (String name : names) {
      assertEquals(0, chaos("destroy", name).code());
      Xl.awaitGone(name, LIMIT);
    }
  }

  @Test
  @Order(8)
  void theConfigsUuidIsTheDomainsAndTwoGuestsCannotShareIt() throws Exception {
    String uuid = "5a1b7e0c-7c2f-4b8e-9d3a-0c0ffee0cafe";
    Path first = idleGuest("e2e-uuid", "uuid = \"" + uuid + "\"");
    DaemonProcess.Run created = chaos("create", first.toString());
    assertEquals(0, created.code(), created.err());
    String verbose = Command.run(LIMIT, "xl", "list", "-v", "e2e-uuid").orThrow().output();
    assertTrue(verbose.contains(uuid), verbose);

    Path second = idleGuest("e2e-uuid-2", "uuid = \"" + uuid + "\"");
    DaemonProcess.Run clash = chaos("create", second.toString());
    assertEquals(ExitCodes.EXISTS, clash.code(), clash.out());
    assertTrue(clash.err().contains("uuid " + uuid + " is e2e-uuid's already"), clash.err());
    assertEquals(0, chaos("destroy", "e2e-uuid").code());
    Xl.awaitGone("e2e-uuid", LIMIT);
  }

  @Test
  @Order(9)
  void directCreatesAndDestroysWithoutTheDaemonAndLeavesItsPoolAlone() throws Exception {
    DaemonProcess.Run created = chaos("create", "--direct", idleGuest("e2e-direct").toString());

    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from a new shell"), created.out());
    assertTrue(Xl.domainNames().contains("e2e-direct"));
    assertTrue(chaos("list", "--direct").out().contains("e2e-direct"));
    awaitListed("e2e-direct", ".*"); // the daemon heard of it, and adopted it
    DaemonProcess.Run twice = chaos("create", idleGuest("e2e-direct").toString());
    assertEquals(ExitCodes.EXISTS, twice.code(), twice.out());

    DaemonProcess.Run destroyed = chaos("destroy", "--direct", "e2e-direct");

    assertEquals(0, destroyed.code(), destroyed.err());
    Xl.awaitGone("e2e-direct", LIMIT);
    daemon.awaitPool("256x1", 1);
  }

  @Test
  @Order(10)
  void aNameAnXlGuestHoldsIsRefusedAndTheGuestIsNotChaossToDestroy() throws Exception {
    Path xlGuest = idleGuest("e2e-xl");
    Xl.create(xlGuest);
    try {
      awaitListed("e2e-xl", ".*");
      DaemonProcess.Run clash = chaos("create", xlGuest.toString());
      assertEquals(ExitCodes.EXISTS, clash.code(), clash.out());
      assertTrue(clash.err().contains("is named e2e-xl already"), clash.err());
      assertEquals(ExitCodes.NOT_FOUND, chaos("destroy", "e2e-xl").code());
    } finally {
      Xl.destroyIfPresent("e2e-xl");
    }
    Xl.awaitGone("e2e-xl", LIMIT);
    // Once xl's guest is gone, its name is free again.
    long deadline = System.nanoTime() + LIMIT.toNanos();
    DaemonProcess.Run created = chaos("create", xlGuest.toString());
    while (created.code() == ExitCodes.EXISTS && System.nanoTime() < deadline) {
      Thread.sleep(250); // until the daemon hears that it went
      created = chaos("create", xlGuest.toString());
    }
    assertEquals(0, created.code(), created.err());
    String domain =
        "/local/domain/" + Command.run(LIMIT, "xl", "domid", "e2e-xl").orThrow().output().strip();
    assertEquals(0, chaos("destroy", "e2e-xl").code());
    // xenconsoled, set up the console just as the guest went, writes its tty node late: the
    // daemon looks again and removes the domain's path once more.
    Command.run(LIMIT, "xenstore-write", domain + "/console/tty", "/dev/pts/late").orThrow();
    Xl.awaitGone("e2e-xl", LIMIT);
    long again = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (Command.run(LIMIT, "xenstore-exists", domain).exitCode() == 0
        && System.nanoTime() < again) {
      Thread.sleep(250);
    }
    assertTrue(
        Command.run(LIMIT, "xenstore-exists", domain).exitCode() != 0, domain + " came back");
  }
}
