package org.chaosvm.daemon.engine;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.chaosvm.libxc.ConsoleRing;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.ForeignMemory;
import org.chaosvm.libxc.XenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When guests boot, as chaos defines it: a guest is booted when its first byte of console output is
 * in its console ring. One thread reads the {@code out_prod} index of each watched guest's ring (a
 * read-only mapping, so xenconsoled keeps the ring) until it moves, and records the time since the
 * create began. It looks every {@link #FIRST_POLL} at first, then after a share of the time the
 * guest has been watched ({@code 1 / }{@link #POLL_SHARE}), at most {@link #LAST_POLL} later: a
 * unikernel's boot of a few milliseconds is timed to the millisecond, and a Linux guest, whose
 * first output comes hundreds of milliseconds after its unpause, does not boot beside a thread of
 * Dom0 woken a thousand times a second (in the rig, polling every millisecond put a tinyx VM's
 * application about 0.15 s later: Dom0 has one vCPU, and serves the guest's boot). The time is an
 * upper bound by at most one pause and the thread's wake-up delay. Watching ends at the first
 * output, at {@link #TIMEOUT}, or by {@link #forget} (which a destroy must call: a mapped page
 * keeps a dead domain from being freed). A console back end of the daemon's own, which sees every
 * output as it comes, tells the time instead ({@link #expect}, {@link #seen}): no second mapping of
 * the ring, no polling.
 */
public final class BootWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BootWatch.class);

  static final Duration FIRST_POLL = Duration.ofMillis(1);
  static final int POLL_SHARE = 20;
  static final Duration LAST_POLL = Duration.ofMillis(20);
  static final Duration TIMEOUT = Duration.ofMinutes(2);

  private final ForeignMemory memory = ForeignMemory.open();
  private final Map<DomId, Watch> watches = new ConcurrentHashMap<>();

  /** The watches not yet ended: what the thread polls (ended ones only keep their boot time). */
  private final Set<Watch> active = ConcurrentHashMap.newKeySet();

  private final Thread thread = new Thread(this::run, "boot-watch");
  private volatile boolean closed;

  /** One guest: its ring while watched, and its boot time once seen (or given up on). */
  private static final class Watch {
    final long startNanos;
    final long watchedNanos = System.nanoTime();
    final Optional<String> bootloader;
    final long deadlineNanos;
    ConsoleRing ring;
    volatile long bootNanos = -1;
    volatile boolean ended;

    Watch(long startNanos, Optional<String> bootloader, ConsoleRing ring) {
      this.startNanos = startNanos;
      this.bootloader = bootloader;
      this.deadlineNanos = System.nanoTime() + TIMEOUT.toNanos();
      this.ring = ring;
    }
  }

  public BootWatch() {
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Starts watching {@code domid}'s console ring, in frame {@code consoleFrame}, for a create that
   * began at {@code startNanos} ({@link System#nanoTime}). Call it before the guest is unpaused, or
   * output written before the ring is mapped is seen late. {@code bootloader} names what the boot
   * goes through before the guest's kernel, if anything ({@link #bootloader}).
   */
  public void watch(DomId domid, long consoleFrame, long startNanos, Optional<String> bootloader) {
    ConsoleRing ring = memory.mapConsoleRing(domid, consoleFrame);
    Watch watch = new Watch(startNanos, bootloader, ring);
    active.add(watch);
    Watch previous = watches.put(domid, watch);
    if (previous != null) {
      end(previous);
    }
    LockSupport.unpark(thread);
  }

  /**
   * Starts timing {@code domid}'s boot, for a create that began at {@code startNanos}, without
   * watching its ring: the guest's console back end, which serves the ring, says when the first
   * output came ({@link #seen}). Nothing is polled for it.
   */
  public void expect(DomId domid, long startNanos, Optional<String> bootloader) {
    Watch previous = watches.put(domid, new Watch(startNanos, bootloader, null));
    if (previous != null) {
      end(previous);
    }
  }

  /** {@code domid}'s first console output is in its ring now (for {@link #expect}). */
  public void seen(DomId domid) {
    Watch watch = watches.get(domid);
    if (watch == null) {
      return;
    }
    synchronized (watch) {
      if (!watch.ended) {
        watch.bootNanos = System.nanoTime();
        endLocked(watch);
      }
    }
  }

  /** Milliseconds from the create's start to the guest's first output, once it was seen. */
  public OptionalDouble bootMillis(DomId domid) {
    Watch watch = watches.get(domid);
    if (watch == null || watch.bootNanos < 0) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of((watch.bootNanos - watch.startNanos) / 1e6);
  }

  /**
   * What the boot time went through before the guest's kernel: "pygrub" (run in Dom0 within it) or
   * "PV-GRUB2" (the guest's first output is GRUB's); empty for a kernel booted directly.
   */
  public Optional<String> bootloader(DomId domid) {
    Watch watch = watches.get(domid);
    return watch == null ? Optional.empty() : watch.bootloader;
  }

  /** Waits at most {@code timeout} for the guest's first output; its boot time if it came. */
  public OptionalDouble awaitBoot(DomId domid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      OptionalDouble boot = bootMillis(domid);
      Watch watch = watches.get(domid);
      if (boot.isPresent() || watch == null || watch.ended || System.nanoTime() > deadline) {
        return boot;
      }
      Thread.sleep(1);
    }
  }

  /** Stops watching {@code domid} and forgets its boot time. */
  public void forget(DomId domid) {
    Watch watch = watches.remove(domid);
    if (watch != null) {
      end(watch);
    }
  }

  private void run() {
    while (!closed) {
      if (active.isEmpty()) {
        LockSupport.park(this);
        continue;
      }
      long now = System.nanoTime();
      long pause = LAST_POLL.toNanos();
      for (Watch watch : active) {
        check(watch);
        pause = Math.min(pause, (now - watch.watchedNanos) / POLL_SHARE);
      }
      LockSupport.parkNanos(this, Math.max(pause, FIRST_POLL.toNanos()));
    }
  }

  private void check(Watch watch) {
    synchronized (watch) {
      if (watch.ended) {
        return;
      }
      try {
        if (watch.ring.outputProduced() != 0) {
          watch.bootNanos = System.nanoTime();
          endLocked(watch);
        } else if (System.nanoTime() > watch.deadlineNanos) {
          endLocked(watch);
        }
      } catch (XenException | IllegalStateException e) {
        log.warn("cannot read a console ring: {}", e.getMessage());
        endLocked(watch);
      }
    }
  }

  private void end(Watch watch) {
    synchronized (watch) {
      endLocked(watch);
    }
  }

  private void endLocked(Watch watch) {
    watch.ended = true;
    active.remove(watch);
    if (watch.ring != null) {
      watch.ring.close();
      watch.ring = null;
    }
  }

  /** Stops the thread and unmaps every ring. */
  @Override
  public void close() {
    closed = true;
    LockSupport.unpark(thread);
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    watches.values().forEach(this::end);
    watches.clear();
    memory.close();
  }
}
