package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.ShutdownReason;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.XenStored;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link NoxsDaemonCycle} on a Dom0 with no xenstored at all: the class stops xenstored and
 * xenconsoled, then runs {@code chaos-daemon --no-xenstore}, which binds VIRQ_DOM_EXC itself and
 * keeps every guest's name and record on disk. Then the daemon is killed in the middle of a create
 * and started again: it adopts its running guest (which answers the new control device) and
 * destroys the half-built domain and the old shell: neither has a record, both are shells by their
 * handle. xenstored is not started again (a Dom0 kernel's watches do not survive a new xenstored),
 * so this class runs last ({@code xen-rig/dom0/e2e}).
 */
@Tag("xen")
@Order(Integer.MAX_VALUE)
class DaemonNoXenstoreE2ETest extends NoxsDaemonCycle {
  @BeforeAll
  static void start() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock: no noxs");
    XenStored.stop();
    startDaemon(List.of("--no-xenstore"));
  }

  @AfterAll
  static void stop() throws Exception {
    stopDaemon();
  }

  @Test
  void aXenStoreGuestIsRefusedByNameAndAGuestOfNoMethodIsANoxsGuest() throws Exception {
    Path xenstore =
        Unikernel.writeXlConfig(dir, "xs-guest", Unikernel.Mode.NOOP, "dev_method = \"xenstore\"");
    DaemonProcess.Run created = chaos("create", xenstore.toString());
    assertEquals(ExitCodes.CONFIG, created.code(), created.out());
    assertTrue(created.err().contains("this daemon serves noxs guests only"), created.err());
    assertTrue(created.err().contains("--no-xenstore"), created.err());
    assertFalse(chaos("list").out().contains("xs-guest"));

    // Without XenStore, a config that names no mechanism is a noxs guest's.
    Path plain = Unikernel.writeXlConfig(dir, "nx-plain", Unikernel.Mode.NOOP);
    DaemonProcess.Run made = chaos("create", plain.toString());
    assertEquals(0, made.code(), made.err());
    console("nx-plain").awaitLineContaining(Unikernel.CONTROL_CONNECTED, LIMIT);
    assertEquals(0, chaos("destroy", "nx-plain").code());
    awaitGone("nx-plain");
    assertNothingLeftOf(DaemonTestBase.domidOf(made), "nx-plain");
  }

  @Test
  void aDaemonKilledMidCreateAdoptsItsGuestAndDestroysTheHalfBuiltOneAndItsShells()
      throws Exception {
    DaemonProcess.Run created =
        chaos("create", noxsConfig("nx-kept", Unikernel.Mode.NOOP).toString());
    assertEquals(0, created.code(), created.err());
    int kept = DaemonTestBase.domidOf(created);
    console("nx-kept").awaitLineContaining(Unikernel.CONTROL_CONNECTED, LIMIT);
    daemon.awaitPool(NOXS_SHELLS, 1);
    Set<Integer> before = domids();

    // The victim: its build leaves seconds to kill the daemon in.
    Path victim = slowToBuild("nx-victim");
    DaemonProcess first = daemon;
    CompletableFuture<DaemonProcess.Run> interrupted =
        CompletableFuture.supplyAsync(() -> first.chaos("create", victim.toString()));
    awaitBuilding(first, kernelOf("nx-victim"));
    first.kill(); // SIGKILL while the victim is being built
    Set<Integer> building = domids();
    building.removeAll(before); // 256 MiB: no pooled shell, one made for it
    assertEquals(1, building.size(), "the victim's domain: " + building);
    int halfBuilt = building.iterator().next();
    DaemonProcess.Run reply = interrupted.get(60, TimeUnit.SECONDS);
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, reply.code(), reply.err());
    assertEquals(
        List.of(kept + ".json"), written(records()), "the half-built victim has no record");
    assertTrue(records().contains(halfBuilt + ".json"), "its shell's empty one: " + records());
    Set<Integer> oldShells = new HashSet<>(before);
    oldShells.removeAll(Set.of(0, kept));
    assertFalse(oldShells.isEmpty(), "the first daemon's pool had a shell: " + before);

    daemon = newDaemon();
    String log = daemon.logText();
    assertTrue(log.contains("adopted nx-kept (domain " + kept + ", noxs)"), log);
    // Neither was recorded: both are shells by their handle, half-built or not.
    for (int domid : union(building, oldShells)) {
      assertTrue(
          log.contains("destroying domain " + domid + ", a shell by its handle that an earlier"),
          log);
    }
    assertEquals(kept, listedDomid("nx-kept"));
    assertFalse(chaos("list").out().contains("nx-victim"));
    awaitDomainsGone(union(building, oldShells));
    for (int domid : union(building, oldShells)) {
      assertFalse(records().contains(domid + ".json"), "domain " + domid + "'s record file");
    }

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
    assertNothingLeftOf(kept, "nx-kept");
  }

  /**
   * DaemonDevicesE2ETest's guest that crashes while being built, on a Dom0 where the daemon binds
   * VIRQ_DOM_EXC itself: Xen fires it once, while the guest is being built, and the daemon's look
   * then leaves the guest to its create. Once built, it gets its on_crash all the same (destroy),
   * through the events thread's loopback channel.
   */
  @Test
  void aGuestThatCrashesWhileBeingBuiltGetsItsOnCrashOnceBuilt() throws Exception {
    daemon.awaitPool(NOXS_SHELLS, 1);
    Set<Integer> before = domids();
    Path early = slowToBuild("nx-early");
    CompletableFuture<DaemonProcess.Run> creating =
        CompletableFuture.supplyAsync(() -> chaos("create", early.toString()));
    awaitBuilding(daemon, kernelOf("nx-early"));
    Set<Integer> building = domids();
    building.removeAll(before); // 256 MiB: no pooled shell, one made for it
    assertEquals(1, building.size(), "the guest's domain: " + building);
    int domid = building.iterator().next();
    try (XenCtrl xc = XenCtrl.open()) {
      xc.shutdown(DomId.of(domid), ShutdownReason.CRASH);
    }
    DaemonProcess.Run created = creating.get(120, TimeUnit.SECONDS);
    assertEquals(0, created.code(), created.err());
    awaitDomainsGone(Set.of(domid));
    String log = daemon.logText();
    assertTrue(log.contains("domain " + domid + " shut down while building"), log);
    assertNothingLeftOf(domid, "nx-early");
  }

  /**
   * The config of a 256 MiB noxs guest {@code name} (no pooled shell fits: one is made for it) on a
   * copy of the test kernel that the daemon has not cached ({@link #kernelOf}), so its build, which
   * decompresses it, takes seconds. It is never run: the kernel need not be a noxs guest's.
   */
  private static Path slowToBuild(String name) throws Exception {
    Path kernel = Files.copy(TestGuest.kernel(), kernelOf(name));
    return Files.writeString(
        dir.resolve(name + ".cfg"),
        String.join(
            "\n",
            "name = \"" + name + "\"",
            "kernel = \"" + kernel + "\"",
            "memory = 256",
            "dev_method = \"noxs\"",
            ""));
  }

  /** The kernel copy of {@link #slowToBuild}'s guest {@code name}. */
  private static Path kernelOf(String name) {
    return dir.resolve("vmlinuz-" + name);
  }

  private static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
    Set<Integer> union = new HashSet<>(a);
    union.addAll(b);
    return union;
  }

  /**
   * Waits until {@code daemon} is building {@code kernel} into a domain: the domain builder maps
   * the kernel's file from the start of the build to its end, and decompressing it takes seconds.
   */
  private static void awaitBuilding(DaemonProcess daemon, Path kernel) throws Exception {
    Path maps = Path.of("/proc", Long.toString(daemon.pid()), "maps");
    String file = kernel.getFileName().toString();
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.readString(maps).contains(file)) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the daemon never mapped " + kernel);
  }
}
