package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
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
 * and not; and as a noxs guest, XenStore untouched by its create: from a pool of noxs shells, its
 * device page and control device in the daemon's log of its console, powered off and rebooted
 * through the control device, a guest that never answers refused after the time limit and then
 * destroyed, and a daemon killed and restarted that adopts its noxs guest, which then answers the
 * new daemon's control device. Nothing is left: no domain, no record. On RIG_XEN=stock only the
 * XenStore half runs.
 */
@Tag("xen")
class DaemonUnikernelE2ETest extends DaemonTestBase {
  private static final boolean PATCHED = !"stock".equals(System.getenv("RIG_XEN"));
  private static Path state;
  private static Path logs;

  /** Hides the base's: pools of XenStore and (on noxs's Xen) noxs 1 MiB shells. */
  @BeforeAll
  static void startDaemon() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    state = dir.resolve("state");
    logs = dir.resolve("log");
    daemon = unikernelDaemon();
  }

  private static DaemonProcess unikernelDaemon() throws Exception {
    DaemonProcess process =
        new DaemonProcess(dir)
            .option("--state-dir", state.toString(), "--log-dir", logs.toString());
    return PATCHED ? process.start("1x1=1", "1x1:noxs=1") : process.start("1x1=1");
  }

  /** Hides the base's: noxs guests have no name in XenStore, so xl's rows are counted. */
  @AfterAll
  static void stopDaemon() throws Exception {
    System.out.println("--- chaos-daemon's log ---\n" + daemon.stop());
    assertEquals(1, xlDomains(), "the daemon left domains behind");
    assertEquals(List.of(), records(), "the daemon left noxs records behind");
  }

  private static Path config(String name, Unikernel.Mode mode, String... settings) {
    return Unikernel.writeXlConfig(dir, name, mode, settings);
  }

  /** The unikernel as a noxs guest: {@code dev_method = "noxs"}. */
  private static Path noxsConfig(String name, Unikernel.Mode mode, String... settings) {
    String[] all = new String[settings.length + 1];
    all[0] = "dev_method = \"noxs\"";
    System.arraycopy(settings, 0, all, 1, settings.length);
    return config(name, mode, all);
  }

  /** A noxs guest's console as the daemon logs it. */
  private static ConsoleLog console(String name) {
    return new ConsoleLog(logs.resolve("console").resolve(name + ".log"));
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

  @Test
  void aNoxsGuestComesFromThePoolAndPowersOffThroughItsControlDevice() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    daemon.awaitPool("1x1:noxs", 1);
    DaemonProcess.Run created =
        chaos("create", noxsConfig("nx-off", Unikernel.Mode.NOOP).toString());
    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from the pool"), created.out());
    awaitListed("nx-off", "\\d+\\s+1\\s+1\\s+.*");
    ConsoleLog console = console("nx-off");
    assertTrue(console.awaitLineContaining(Unikernel.BOOTED, LIMIT).contains("(1024 KiB)"));
    String page = console.awaitLineContaining(Unikernel.DEVICE_PAGE, LIMIT);
    assertTrue(page.endsWith("1 devices"), page);
    console.awaitLineContaining("chaos unikernel: device control 0: back end 0", LIMIT);
    console.awaitLineContaining(Unikernel.CONTROL_CONNECTED, LIMIT);

    DaemonProcess.Run off = awaitAnswered("shutdown", "-w", "nx-off");
    assertEquals(0, off.code(), off.err());
    assertEquals("nx-off powered off\n", off.out());
    console.awaitLineContaining(Unikernel.CONTROL_REQUEST + "poweroff", LIMIT);
    awaitGone("nx-off");
  }

  @Test
  void rebootWithOnRebootRestartBringsItBackAsANewDomain() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    DaemonProcess.Run created =
        chaos(
            "create",
            noxsConfig("nx-boot", Unikernel.Mode.NOOP, "on_reboot = \"restart\"").toString());
    assertEquals(0, created.code(), created.err());
    int first = domidOf(created);

    assertEquals(0, awaitAnswered("reboot", "nx-boot").code());
    long deadline = System.nanoTime() + LIMIT.toNanos();
    int now = first;
    while (now == first && System.nanoTime() < deadline) {
      Thread.sleep(250);
      now = listedDomid("nx-boot");
    }
    assertNotEquals(first, now, "nx-boot was not restarted");
    assertEquals(0, awaitAnswered("shutdown", "-w", "nx-boot").code(), "the restarted one answers");
    awaitGone("nx-boot");
  }

  @Test
  void aGuestThatNeverAnswersGetsAClearErrorAndIsThenDestroyed() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    DaemonProcess.Run created =
        chaos("create", noxsConfig("nx-deaf", Unikernel.Mode.IGNORE).toString());
    assertEquals(0, created.code(), created.err());
    awaitListed("nx-deaf", "\\d+\\s+1\\s+1\\s+.*");
    awaitControlConnected("nx-deaf");

    DaemonProcess.Run off = chaos("shutdown", "-w", "nx-deaf");
    assertEquals(ExitCodes.FAILURE, off.code(), off.out());
    assertTrue(off.err().contains("did not answer the poweroff request within 5000 ms"), off.err());
    assertEquals(0, chaos("destroy", "nx-deaf").code());
    awaitGone("nx-deaf");
  }

  @Test
  void aRestartedDaemonAdoptsItsNoxsGuestWhichAnswersItsNewControlDevice() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    DaemonProcess.Run created =
        chaos("create", noxsConfig("nx-kept", Unikernel.Mode.NOOP).toString());
    assertEquals(0, created.code(), created.err());
    int domid = domidOf(created);
    console("nx-kept").awaitLineContaining(Unikernel.CONTROL_CONNECTED, LIMIT);
    daemon.kill();
    daemon = unikernelDaemon();

    assertEquals(domid, listedDomid("nx-kept"));
    assertTrue(daemon.logText().contains("adopted nx-kept (domain " + domid + ", noxs)"));
    // The new daemon's console signal wakes the guest, which connects to the new control device.
    DaemonProcess.Run off = awaitAnswered("shutdown", "-w", "nx-kept");
    assertEquals(0, off.code(), off.err());
    awaitGone("nx-kept");
    assertEquals(
        2,
        console("nx-kept").lines().stream()
            .filter(line -> line.contains(Unikernel.CONTROL_CONNECTED))
            .count(),
        "connected once to each daemon's control device");
  }

  /**
   * A request the guest may not be ready for yet (it connects its control device a moment after its
   * create returns): retried while the daemon says it has not connected.
   */
  private static DaemonProcess.Run awaitAnswered(String... args) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    DaemonProcess.Run run = chaos(args);
    while (run.code() != 0 && run.err().contains("has not connected its control device")) {
      assertTrue(System.nanoTime() < deadline, run.err());
      Thread.sleep(250);
      run = chaos(args);
    }
    return run;
  }

  /** A guest that ignores requests still connects: wait until it has (the daemon says so). */
  private static void awaitControlConnected(String name) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (chaos("reboot", name).err().contains("has not connected its control device")) {
      assertTrue(System.nanoTime() < deadline, name + " never connected its control device");
      Thread.sleep(250);
    }
  }

  private static int listedDomid(String name) throws Exception {
    return Integer.parseInt(awaitListed(name, "\\d+\\s+.*").split("\\s+")[1]);
  }

  private static void awaitGone(String name) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (chaos("list").out().lines().anyMatch(line -> line.startsWith(name + " "))) {
      assertTrue(System.nanoTime() < deadline, name + " is still listed");
      Thread.sleep(250);
    }
  }

  /** How many domains Xen has (xl list counts its rows; noxs guests have no name in XenStore). */
  private static int xlDomains() {
    return (int) Command.run(LIMIT, "xl", "list").orThrow().output().lines().skip(1).count();
  }

  private static List<String> records() throws Exception {
    Path noxs = state.resolve("noxs");
    if (!Files.isDirectory(noxs)) {
      return List.of();
    }
    try (var files = Files.list(noxs)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
