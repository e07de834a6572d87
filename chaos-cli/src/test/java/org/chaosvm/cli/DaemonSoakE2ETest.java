package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Soak and faults: clients create noop unikernels with a disk, attach and detach a second one and a
 * vif on xenbr0, and destroy them, for a bounded time, while the daemon is killed (SIGKILL) and
 * started again at random points. Then: every guest a reply said exists does (the last daemon
 * adopted it); once they are destroyed and the daemon stopped, nothing is left (no domain, vif,
 * loop device of the test's images, guest node in XenStore, owner record); the last daemon's
 * threads and descriptors are back near their start. Prints the counts (operations, kills, leaks).
 *
 * <p>The suite runs 45 s of it on DaemonE2ETest's daemon ({@code soakWithKillsLeavesNothing});
 * {@code xen-rig/rig e2e --tag xen-stress DaemonSoak} runs 10 minutes on a daemon of its own.
 */
@Timeout(1800)
class DaemonSoakE2ETest {
  @TempDir Path dir;

  @Test
  @Tag("xen-stress")
  void clientsAndKillsForTenMinutesLeaveNothingBehind() throws Exception {
    DaemonSoak soak =
        new DaemonSoak(
            dir,
            new DaemonProcess(dir).start("1x1=2"),
            () -> new DaemonProcess(dir).start("1x1=2"));
    soak.run(Duration.ofMinutes(10), Duration.ofSeconds(60));
  }
}

/** The soak itself, on a daemon given and started again by {@code restart} after each kill. */
final class DaemonSoak {
  private static final int CLIENTS = 3;

  /**
   * The most threads, and descriptors, the last daemon may hold more after the soak than before.
   */
  private static final int SLACK = 4;

  /** Starts a daemon like the one killed. */
  interface Restart {
    DaemonProcess start() throws Exception;
  }

  private final Path dir;
  private final Restart restart;
  private volatile DaemonProcess daemon;
  private final Set<String> live = ConcurrentHashMap.newKeySet();
  private final AtomicInteger operations = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();

  DaemonSoak(Path dir, DaemonProcess daemon, Restart restart) {
    this.dir = dir;
    this.daemon = daemon;
    this.restart = restart;
  }

  /** Runs the soak; the last daemon, stopped. */
  DaemonProcess run(Duration length, Duration killEvery) throws Exception {
    Path first = image("soak-first.img");
    Path second = image("soak-second.img");
    DaemonProcess.Status started = daemon.status();
    long deadline = System.nanoTime() + length.toNanos();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> running = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      running.add(clients.submit(() -> client(client, first, second, deadline)));
    }
    Random random = new Random(42);
    int kills = 0;
    while (System.nanoTime() < deadline) {
      long wait = killEvery.toMillis() / 2 + random.nextInt((int) killEvery.toMillis());
      Thread.sleep(Math.min(wait, Math.max(0, (deadline - System.nanoTime()) / 1_000_000)));
      if (System.nanoTime() >= deadline) {
        break;
      }
      daemon.kill();
      kills++;
      daemon = restart.start();
      started = daemon.status();
    }
    clients.shutdown();
    assertTrue(clients.awaitTermination(10, TimeUnit.MINUTES), "clients did not finish");
    for (Future<?> client : running) {
      client.get();
    }

    // Every guest a reply said exists does, adopted by the last daemon.
    String listed = daemon.chaos("list").out();
    for (String name : live) {
      assertTrue(listed.contains("\n" + name + " "), name + " is gone:\n" + listed);
    }
    DaemonProcess.Status start = daemon.status();
    List<String> left = listed.lines().skip(1).map(l -> l.split("\\s+")[0]).toList(); // a header
    for (String name : left) {
      if (!name.equals("Domain-0")) {
        DaemonProcess.Run destroyed = daemon.chaos("destroy", name);
        assertEquals(0, destroyed.code(), name + ": " + destroyed.err());
      }
    }
    DaemonProcess.Status end = settled(start);
    String held = end.fds() <= start.fds() + SLACK ? "" : daemon.openDescriptors();
    System.out.println("--- the last chaos-daemon's log ---\n" + daemon.stop());
    List<String> leaks = leaks(first, second);
    System.out.printf(
        "soak: %d operations (%d refused or unanswered) by %d clients in %d s, %d daemon kills,"
            + " %d guests left running and destroyed at the end; the last daemon: threads %d"
            + " then %d, descriptors %d then %d, RSS %d KiB at its start and %d at the end;"
            + " leaks found: %d %s%n",
        operations.get(),
        refused.get(),
        CLIENTS,
        length.toSeconds(),
        kills,
        left.size() - 1,
        start.threads(),
        end.threads(),
        start.fds(),
        end.fds(),
        started.rssKib(),
        end.rssKib(),
        leaks.size(),
        leaks);
    assertEquals(List.of(), leaks);
    assertTrue(end.threads() <= start.threads() + SLACK, end.threads() + " threads, " + start);
    assertTrue(
        end.fds() <= start.fds() + SLACK, end.fds() + " descriptors, " + start + ":\n" + held);
    assertTrue(
        end.rssKib() <= started.rssKib() + 64 * 1024,
        "RSS " + end.rssKib() + " KiB, " + started.rssKib() + " at the daemon's start");
    return daemon;
  }

  /**
   * The last daemon's status once the connections of the commands just run have closed: a worker
   * closes its end when it reads the client's end of file, which under TCG can come a while after
   * the command returned. Waits up to 20 s for the descriptors to come back within bounds, and
   * gives what it saw last: a descriptor that stays open still fails the soak.
   */
  private DaemonProcess.Status settled(DaemonProcess.Status start) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    DaemonProcess.Status now = daemon.status();
    while (now.fds() > start.fds() + SLACK && System.nanoTime() < deadline) {
      Thread.sleep(500);
      now = daemon.status();
    }
    return now;
  }

  /** One client's loop: create with a disk, attach a disk and a vif, detach them, destroy. */
  private void client(int client, Path first, Path second, long deadline) {
    int round = 0;
    while (System.nanoTime() < deadline) {
      String name = "s" + client + "-" + round++;
      Path config =
          Unikernel.writeXlConfig(
              dir,
              name,
              Unikernel.Mode.NOOP,
              "disk = [ \"" + first + ",raw,xvda,r\" ]",
              "on_poweroff = \"destroy\"");
      if (ask("create", config.toString()).code() != 0) {
        continue; // refused, or the daemon died under it: the end's list says whether it exists
      }
      live.add(name);
      ask("block-attach", name, second + ",raw,xvdb,r");
      ask("network-attach", name, "bridge=xenbr0");
      ask("block-detach", name, "xvdb", "--force");
      ask("network-detach", name, "0", "--force");
      int destroyed = ask("destroy", name).code();
      if (destroyed == 0
          || destroyed == ExitCodes.DAEMON_UNREACHABLE
          || destroyed == ExitCodes.TIMED_OUT) {
        live.remove(name); // gone, or maybe gone: only a clean refusal says it still exists
      }
    }
  }

  /** A request to whichever daemon runs now; a dead one's is retried once it is back. */
  private DaemonProcess.Run ask(String... args) {
    operations.incrementAndGet();
    DaemonProcess.Run run = daemon.chaos(args);
    if (run.code() == ExitCodes.DAEMON_UNREACHABLE || run.code() == ExitCodes.TIMED_OUT) {
      refused.incrementAndGet();
      sleep(2000);
    } else if (run.code() != 0) {
      refused.incrementAndGet();
    }
    return run;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Path image(String name) throws IOException {
    Path image = dir.resolve(name);
    try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
      file.setLength(1 << 20);
    }
    return image;
  }

  /** What a guest or the daemon left on Dom0, one line each. */
  private static List<String> leaks(Path... images) throws Exception {
    List<String> leaks = new ArrayList<>();
    for (String domain : Xl.domainNames()) {
      if (!domain.equals("Domain-0")) {
        leaks.add("domain " + domain);
      }
    }
    String links = Command.run(DaemonProcess.LIMIT, "ip", "-o", "link").orThrow().output();
    links.lines().filter(l -> l.matches("\\d+: vif\\d+\\.\\d+.*")).forEach(l -> leaks.add(l));
    String loops = Command.run(DaemonProcess.LIMIT, "losetup", "-a").orThrow().output();
    for (Path image : images) {
      loops.lines().filter(l -> l.contains(image.toString())).forEach(l -> leaks.add(l));
    }
    String domains =
        Command.run(DaemonProcess.LIMIT, "xenstore-list", "/local/domain").orThrow().output();
    domains.lines().filter(d -> !d.strip().equals("0")).forEach(d -> leaks.add("xenstore " + d));
    Path owners = Path.of("/var/lib/chaos/owners");
    if (Files.isDirectory(owners)) {
      try (Stream<Path> files = Files.list(owners)) {
        files.forEach(f -> leaks.add("owner record " + f));
      }
    }
    return leaks;
  }
}
