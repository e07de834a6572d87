package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * chaos's main job on real Xen: chaos-daemon runs as its own process with a pool of one 256x1
 * shell; the chaos command (in-process, over the real socket) creates, lists, shuts down and
 * destroys guests. Ends by stopping the daemon and checking only Domain-0 is left.
 */
@Tag("xen")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DaemonE2ETest extends DaemonTestBase {
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
    DaemonProcess.Run created = chaos("create", idleGuest("e2e-db").toString());
    assertEquals(0, created.code(), created.err());

    DaemonProcess.Run destroyed = chaos("destroy", "e2e-db");

    assertEquals(0, destroyed.code(), destroyed.err());
    Xl.awaitGone("e2e-db", LIMIT);
    daemon.awaitPool("256x1", 1);
  }

  @Test
  @Order(3)
  void createWithNoFittingShellBuildsOne() throws Exception {
    Path config = idleGuest("e2e-big", "memory = 320");

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

    assertConfigRefused(
        "bad.cfg",
        "name = \"x\"\nkernel = \"/k\"\nbootloader = \"pygrub\"\n",
        "bad.cfg:3:1: unknown or unsupported key 'bootloader'");
    assertConfigRefused(
        "syntax.cfg", "name = \nkernel = \"/k\"\n", "syntax.cfg:1:8: expected a value");
    assertConfigRefused(
        "hvm.cfg", "name = \"x\"\ntype = \"hvm\"\nkernel = \"/k\"\n", "hvm.cfg:2:", "\"hvm\"");

    DaemonProcess.Run unknown = chaos("destroy", "no-such-guest");
    assertEquals(ExitCodes.NOT_FOUND, unknown.code());
    assertTrue(unknown.err().contains("no chaos guest named no-such-guest"), unknown.err());

    Path huge = idleGuest("e2e-huge", "memory = 65536");
    DaemonProcess.Run tooBig = chaos("create", huge.toString());
    assertEquals(ExitCodes.NO_CAPACITY, tooBig.code(), tooBig.err());

    assertEquals(0, chaos("create", idleGuest("e2e-twice").toString()).code());
    DaemonProcess.Run twice = chaos("create", idleGuest("e2e-twice").toString());
    assertEquals(ExitCodes.EXISTS, twice.code(), twice.err());
    assertEquals(0, chaos("destroy", "e2e-twice").code());

    DaemonProcess.Run down = new DaemonProcess(dir.resolve("nowhere")).chaos("list");
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, down.code());
    assertTrue(down.err().contains("is it running?"), down.err());

    DaemonProcess.awaitOnly(List.of("Domain-0"));
  }

  /**
   * {@code chaos create} of a config file {@code name} holding {@code text} is refused as a config
   * error (exit 3), its message holding each of {@code expected}.
   */
  private static void assertConfigRefused(String name, String text, String... expected)
      throws IOException {
    DaemonProcess.Run run = chaos("create", Files.writeString(dir.resolve(name), text).toString());
    assertEquals(ExitCodes.CONFIG, run.code(), run.err());
    for (String part : expected) {
      assertTrue(run.err().contains(part), run.err());
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
}
