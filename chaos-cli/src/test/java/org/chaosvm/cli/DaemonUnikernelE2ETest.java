package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Path;
import java.util.List;
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
