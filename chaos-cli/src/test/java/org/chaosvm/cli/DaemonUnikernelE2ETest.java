package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * chaos's unikernel under chaos-daemon, in 1 MiB: as a XenStore guest in each of its modes, pooled
 * and not; as a noxs guest, XenStore untouched by its create, through {@link NoxsDaemonCycle}'s
 * cycle (one daemon serves both); on RIG_XEN=stock, a noxs guest refused with the reason.
 */
@Tag("xen")
class DaemonUnikernelE2ETest extends NoxsDaemonCycle {
  /** Pools of one 1 MiB XenStore shell and (on noxs's Xen) one noxs shell. */
  @BeforeAll
  static void start() throws Exception {
    startDaemon(List.of(), "1x1=1");
  }

  @AfterAll
  static void stop() throws Exception {
    stopDaemon();
  }

  private static Path config(String name, Unikernel.Mode mode, String... settings) {
    return Unikernel.writeXlConfig(dir, name, mode, settings);
  }

  @Test
  void noopBootsFromThePoolInOneMibAndTheDaemonTimesItsBoot() throws Exception {
    daemon.awaitPool("1x1", 1);
    ConsoleLog console = ConsoleLog.of("uk-noop").sinceNow();
    DaemonProcess.Run created = chaos("create", config("uk-noop", Unikernel.Mode.NOOP).toString());
    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from the pool"), created.out());
    assertTrue(console.awaitLineContaining(Unikernel.BOOTED, LIMIT).contains("(1024 KiB)"));
    console.awaitLineContaining(Unikernel.Mode.NOOP.line, LIMIT);

    // Name, ID, Mem 1, VCPUs 1, Booted(ms) a number, State blocked.
    String row = awaitListed("uk-noop", "\\d+\\s+1\\s+1\\s+(\\d+\\.\\d)\\s+blocked");
    double bootMs = Double.parseDouble(row.split("\\s+")[4]);
    assertTrue(bootMs > 0, row);
    assertEquals(0, chaos("destroy", "uk-noop").code());
  }

  @Test
  void helloPowersOffAndIsReaped() {
    ConsoleLog console = ConsoleLog.of("uk-hello").sinceNow();
    DaemonProcess.Run created =
        chaos("create", config("uk-hello", Unikernel.Mode.HELLO).toString());
    assertEquals(0, created.code(), created.err());
    console.awaitLineContaining(Unikernel.Mode.HELLO.line, LIMIT);
    Xl.awaitGone("uk-hello", LIMIT); // on_poweroff = destroy
  }

  @Test
  void crashIsPreservedOrDestroyedAsOnCrashSays() throws Exception {
    ConsoleLog console = ConsoleLog.of("uk-crash").sinceNow();
    Path preserve = config("uk-crash", Unikernel.Mode.CRASH, "on_crash = \"preserve\"");
    DaemonProcess.Run created = chaos("create", preserve.toString());
    assertEquals(0, created.code(), created.err());
    console.awaitLineContaining(Unikernel.Mode.CRASH.line, LIMIT);
    awaitListed("uk-crash", ".*shutdown \\(crash\\)");
    assertEquals(0, chaos("destroy", "uk-crash").code());

    created = chaos("create", config("uk-reaped", Unikernel.Mode.CRASH).toString());
    assertEquals(0, created.code(), created.err());
    Xl.awaitGone("uk-reaped", LIMIT); // on_crash = destroy
    Xl.awaitGone("uk-crash", LIMIT);
  }

  /**
   * A guest that scribbles on its vif's control page and floods its event channels: Dom0 and the
   * daemon go on serving (another guest is created and answers ping meanwhile), its vif stays as
   * chaos made it (its MAC, on its bridge), and destroy leaves nothing.
   */
  @Test
  void aHostileGuestLeavesDom0ServingAndItsVifAsChaosMadeIt() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock: no noxs");
    DaemonProcess.Run created =
        chaos(
            "create",
            noxsConfig(
                    "nx-evil",
                    Unikernel.Mode.HOSTILE,
                    Unikernel.Mode.HOSTILE.withAddress("10.0.0.21"),
                    "vif = [ \"bridge=xenbr0\" ]")
                .toString());
    assertEquals(0, created.code(), created.err());
    int evil = DaemonTestBase.domidOf(created);
    String mac = macOf(chaos("network-list", "nx-evil").out());
    console("nx-evil").awaitLineContaining(Unikernel.Mode.HOSTILE.line, LIMIT);

    DaemonProcess.Run calm =
        chaos(
            "create",
            noxsConfig(
                    "nx-calm",
                    Unikernel.Mode.NET,
                    Unikernel.Mode.NET.withAddress("10.0.0.22"),
                    "vif = [ \"bridge=xenbr0\" ]")
                .toString());
    assertEquals(0, calm.code(), calm.err());
    int calmDomid = DaemonTestBase.domidOf(calm);
    console("nx-calm").awaitLineContaining(Unikernel.Mode.NET.line, LIMIT);
    Command.Result ping =
        Command.run(Duration.ofSeconds(60), "busybox", "ping", "-c", "3", "-W", "5", "10.0.0.22");
    assertEquals(0, ping.exitCode(), "ping beside a hostile guest: " + ping.output());

    DaemonProcess.Run listed = chaos("list");
    assertEquals(0, listed.code(), listed.err());
    assertTrue(listed.out().contains("nx-evil"), listed.out());
    assertEquals(mac, macOf(chaos("network-list", "nx-evil").out()), "nx-evil's MAC");
    String vif = "vif" + evil + ".0";
    assertTrue(Files.exists(Path.of("/sys/class/net/xenbr0/brif", vif)), vif + " left xenbr0");
    assertTrue(Files.exists(Path.of("/sys/class/net", vif)), vif + " is gone");

    assertEquals(0, chaos("destroy", "nx-evil").code());
    assertEquals(0, chaos("destroy", "nx-calm").code());
    awaitGone("nx-evil");
    awaitGone("nx-calm");
    assertNothingLeftOf(evil, "nx-evil");
    assertNothingLeftOf(calmDomid, "nx-calm");
  }

  /**
   * A noxs guest's bad vif specs are refused before anything is made, naming the vif and what is
   * wrong: a bridge Dom0 does not have, two vifs with one MAC, more vifs than a device page holds.
   */
  @Test
  void badNoxsVifSpecsFailTheCreateAndLeaveNothing() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock: no noxs");
    daemon.awaitPool(NOXS_SHELLS, 1);
    Set<Integer> before = domids();
    List<String> interfaces = vifInterfaces();
    String tooMany =
        "vif = [ "
            + String.join(", ", java.util.Collections.nCopies(32, "\"bridge=xenbr0\""))
            + " ]";
    Map<String, String> cases =
        Map.of(
            "vif = [ \"bridge=nosuchbr0\" ]",
            "vif 0: there is no bridge nosuchbr0 in Dom0",
            "vif = [ \"mac=00:16:3e:00:00:01\", \"mac=00:16:3e:00:00:01\" ]",
            "two vifs have the mac 00:16:3e:00:00:01",
            tooMany,
            "a noxs guest has at most 31 vifs");
    for (Map.Entry<String, String> bad : cases.entrySet()) {
      DaemonProcess.Run created =
          chaos("create", noxsConfig("nx-bad", Unikernel.Mode.NOOP, bad.getKey()).toString());
      assertEquals(ExitCodes.CONFIG, created.code(), created.out() + created.err());
      assertTrue(created.err().contains(bad.getValue()), created.err());
    }
    daemon.awaitPool(NOXS_SHELLS, 1);
    assertEquals(before, domids(), "domains after the refused creates");
    assertEquals(interfaces, vifInterfaces(), "vif interfaces after the refused creates");
  }

  private static List<String> vifInterfaces() throws java.io.IOException {
    try (var names = Files.list(Path.of("/sys/class/net"))) {
      return names
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("vif"))
          .sorted()
          .toList();
    }
  }

  @Test
  void aNoxsGuestIsRefusedByAHypervisorWithoutNoxs() {
    assumeFalse(PATCHED, "the noxs-patched Xen");
    DaemonProcess.Run created =
        chaos("create", noxsConfig("nx-none", Unikernel.Mode.NOOP).toString());
    assertEquals(ExitCodes.FAILURE, created.code(), created.out());
    assertTrue(created.err().contains("this hypervisor has no noxs support"), created.err());
    DaemonProcess.Run pool = chaos("pool", "1x1:noxs=1");
    assertEquals(ExitCodes.FAILURE, pool.code(), pool.out());
    assertTrue(pool.err().contains("this hypervisor has no noxs support"), pool.err());
  }
}
