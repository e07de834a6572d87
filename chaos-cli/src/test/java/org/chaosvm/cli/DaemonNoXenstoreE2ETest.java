package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
 * destroys the half-built domain and the old shell. xenstored is not started again (a Dom0 kernel's
 * watches do not survive a new xenstored), so this class runs last ({@code xen-rig/dom0/e2e}).
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

    // The victim: a kernel the daemon has not cached, whose build (it decompresses it) leaves
    // seconds to kill the daemon in. It is never unpaused, so it need not be a noxs guest's kernel.
    Path kernel = Files.copy(TestGuest.kernel(), dir.resolve("vmlinuz-uncached"));
    Path victim =
        Files.writeString(
            dir.resolve("nx-victim.cfg"),
            String.join(
                "\n",
                "name = \"nx-victim\"",
                "kernel = \"" + kernel + "\"",
                "memory = 256",
                "dev_method = \"noxs\"",
                ""));
    DaemonProcess first = daemon;
    CompletableFuture<DaemonProcess.Run> interrupted =
        CompletableFuture.supplyAsync(() -> first.chaos("create", victim.toString()));
    int building = awaitRecordBuilding();
    first.kill(); // SIGKILL while the victim is being built
    DaemonProcess.Run reply = interrupted.get(60, TimeUnit.SECONDS);
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, reply.code(), reply.err());
    Set<Integer> oldShells =
        before.stream().filter(d -> d != 0 && d != kept).collect(Collectors.toSet());
    assertFalse(oldShells.isEmpty(), "the first daemon's pool had a shell: " + before);

    daemon = newDaemon();
    String log = daemon.logText();
    assertTrue(log.contains("adopted nx-kept (domain " + kept + ", noxs)"), log);
    assertTrue(log.contains("destroying domain " + building + " left building"), log);
    assertTrue(log.contains("a shell an earlier daemon left unmarked"), log);
    assertEquals(kept, listedDomid("nx-kept"));
    assertFalse(chaos("list").out().contains("nx-victim"));
    awaitDomainsGone(Set.of(building));
    awaitDomainsGone(oldShells);

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

  /** The domid of the record that says "building", once there is one. */
  private static int awaitRecordBuilding() throws Exception {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      for (String file : records()) {
        Path record = state.resolve("noxs").resolve(file);
        try {
          if (file.endsWith(".json") && Files.readString(record).contains("\"building\"")) {
            return Integer.parseInt(file.substring(0, file.indexOf('.')));
          }
        } catch (IOException e) {
          // replaced meanwhile: look again
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no noxs record ever said building: " + records());
  }
}
