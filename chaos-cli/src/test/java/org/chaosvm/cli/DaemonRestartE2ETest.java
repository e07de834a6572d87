package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.libxc.XenStore;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restart safety on real Xen: a daemon killed in the middle of a create, then started again. */
@Tag("xen")
class DaemonRestartE2ETest {
  @TempDir Path dir;

  private final List<DaemonProcess> daemons = new java.util.ArrayList<>();

  /** Whatever happened, no daemon and no domain of this test outlives it. */
  @AfterEach
  void cleanUp() throws Exception {
    for (DaemonProcess daemon : daemons) {
      if (daemon.isAlive()) {
        daemon.kill();
      }
    }
    for (String name : Xl.domainNames()) {
      if (!name.equals("Domain-0")) {
        Xl.destroyIfPresent(name);
      }
    }
  }

  @Test
  void daemonKilledMidCreateIsRestartedAdoptsItsGuestAndLeavesNoOrphan() throws Exception {
    // The survivor is the noop unikernel, from the pool; the victim a Linux guest, whose shell is
    // made for it.
    DaemonProcess first = new DaemonProcess(dir).start("1x1=1");
    daemons.add(first);
    Path survivor = Unikernel.writeXlConfig(dir, "survivor", Unikernel.Mode.NOOP);
    // The victim's kernel is a copy the daemon has not cached yet: its build then decompresses it,
    // which leaves seconds to kill the daemon in (a cached kernel's build takes well under one).
    Path kernel = Files.copy(TestGuest.kernel(), dir.resolve("vmlinuz-uncached"));
    Path victim =
        Files.writeString(
            dir.resolve("victim.cfg"),
            TestGuest.xlConfig("victim", TestGuest.Mode.WAIT)
                .replace(TestGuest.kernel().toString(), kernel.toString()));
    assertEquals(0, first.chaos("create", survivor.toString()).code());

    CompletableFuture<DaemonProcess.Run> interrupted =
        CompletableFuture.supplyAsync(() -> first.chaos("create", victim.toString()));
    awaitDomainInState("building");
    first.kill(); // SIGKILL while the victim is being built

    DaemonProcess.Run reply = interrupted.get(60, TimeUnit.SECONDS);
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, reply.code(), reply.err());
    assertTrue(
        domainInState("building").isPresent(), "the kill left no half-built domain to clean");

    DaemonProcess second = new DaemonProcess(dir).start("1x1=1");
    daemons.add(second);
    String log = second.logText();
    assertTrue(log.contains("adopted survivor"), log);
    assertTrue(log.contains("left building by an earlier daemon"), log);
    assertEquals(Optional.empty(), domainInState("building"));
    assertEquals(List.of("Domain-0", "survivor"), DaemonProcess.guestNames());
    assertTrue(second.chaos("list").out().contains("survivor"));
    assertFalse(second.chaos("list").out().contains("victim"));

    assertEquals(0, second.chaos("destroy", "survivor").code());
    System.out.println("--- the second chaos-daemon's log ---\n" + second.stop());
    assertEquals(List.of("Domain-0"), Xl.domainNames());
  }

  private static void awaitDomainInState(String state) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (domainInState(state).isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "no domain reached chaos/state = " + state);
      Thread.sleep(50);
    }
  }

  /** A domain whose chaos/state node reads {@code state}, if any. */
  private static Optional<Integer> domainInState(String state) {
    try (XenCtrl xc = XenCtrl.open();
        XenStore xs = XenStore.open()) {
      for (DomainInfo info : xc.domainInfos()) {
        String path = "/local/domain/" + info.domid().value() + "/chaos/state";
        if (xs.read(XenStore.NO_TRANSACTION, path).filter(state::equals).isPresent()) {
          return Optional.of(info.domid().value());
        }
      }
      return Optional.empty();
    }
  }
}
