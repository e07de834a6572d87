package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10 clients at once against one daemon on real Xen, each creating then destroying a guest: each
 * create succeeds or fails cleanly, two clients racing for one name get one guest between them, and
 * the end state matches what the replies said. The guests are the noop unikernel (1 MiB): what is
 * under test is the daemon, and a Linux guest's boot costs some 10 s of the rig's time each.
 */
@Tag("xen")
// First of the suite: its daemon is short-lived and stops cleanly, so it writes the class archive
// the later daemons map (DaemonProcess), including the shared daemon of DaemonTestBase's classes.
@Order(0)
class DaemonConcurrencyE2ETest {
  private static final int CLIENTS = 10; // five times the builds that run at once: they queue

  @TempDir Path dir;

  record Outcome(String name, DaemonProcess.Run create, DaemonProcess.Run destroy) {}

  @Test
  void tenClientsCreatingAndDestroyingAtOnceGetCleanRepliesAndAConsistentEnd() throws Exception {
    DaemonProcess daemon = new DaemonProcess(dir).start("1x1=2");
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS + 2);
    List<Future<Outcome>> outcomes = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      String name = "c" + i;
      Path config = Unikernel.writeXlConfig(dir, name, Unikernel.Mode.NOOP);
      outcomes.add(clients.submit(() -> createThenDestroy(daemon, name, config)));
    }
    Path contested = Unikernel.writeXlConfig(dir, "contested", Unikernel.Mode.NOOP);
    List<Future<DaemonProcess.Run>> racers = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      racers.add(clients.submit(() -> daemon.chaos("create", contested.toString())));
    }
    clients.shutdown();
    assertTrue(clients.awaitTermination(20, TimeUnit.MINUTES), "clients did not finish");

    try {
      checkOutcomes(daemon, outcomes, racers);
    } catch (AssertionError e) {
      System.out.println("--- chaos-daemon's log ---\n" + daemon.logText());
      System.out.println(
          Command.run(Duration.ofSeconds(30), "sh", "-c", "free -m; dmesg | tail -40").output());
      throw e;
    }
    System.out.println("--- chaos-daemon's log ---\n" + daemon.stop());
    assertEquals(List.of("Domain-0"), Xl.domainNames());
  }

  private static void checkOutcomes(
      DaemonProcess daemon, List<Future<Outcome>> outcomes, List<Future<DaemonProcess.Run>> racers)
      throws Exception {
    int created = 0;
    for (Future<Outcome> future : outcomes) {
      Outcome outcome = future.get();
      int code = outcome.create().code();
      assertTrue(
          code == ExitCodes.OK || code == ExitCodes.NO_CAPACITY,
          outcome.name() + ": create exited " + code + ": " + outcome.create().err());
      if (code == ExitCodes.OK) {
        created++;
        assertEquals(0, outcome.destroy().code(), outcome.name() + ": " + outcome.destroy().err());
      } else {
        assertTrue(outcome.create().err().contains("MiB"), outcome.create().err());
      }
    }
    assertTrue(created > 0, "no create succeeded");

    List<Integer> raceCodes = new ArrayList<>();
    for (Future<DaemonProcess.Run> racer : racers) {
      raceCodes.add(racer.get().code());
    }
    long winners = raceCodes.stream().filter(code -> code == ExitCodes.OK).count();
    long losers =
        raceCodes.stream()
            .filter(code -> code == ExitCodes.EXISTS || code == ExitCodes.NO_CAPACITY)
            .count();
    assertTrue(winners <= 1 && winners + losers == 2, "racing creates of one name: " + raceCodes);
    if (winners == 1) {
      assertEquals(0, daemon.chaos("destroy", "contested").code());
    }

    // The pool refills once the creates are over, in the background (at nice 10): a shell being
    // made is a domain with no name yet, so the end is looked at once the pool is full again.
    daemon.awaitPool("1x1", 2);
    DaemonProcess.awaitOnly(List.of("Domain-0"));
    assertEquals(List.of("Domain-0"), listedNames(daemon));
    System.out.println(created + " of " + CLIENTS + " creates succeeded; the rest: no capacity");
  }

  private static Outcome createThenDestroy(DaemonProcess daemon, String name, Path config) {
    DaemonProcess.Run create = daemon.chaos("create", config.toString());
    DaemonProcess.Run destroy = create.code() == 0 ? daemon.chaos("destroy", name) : null;
    return new Outcome(name, create, destroy);
  }

  private static List<String> listedNames(DaemonProcess daemon) {
    return daemon.chaos("list").out().lines().skip(1).map(line -> line.split("\\s+")[0]).toList();
  }
}
