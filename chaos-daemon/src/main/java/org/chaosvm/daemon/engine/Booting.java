package org.chaosvm.daemon.engine;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.chaosvm.libxc.DomId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guests chaos has just started that may still be booting, which the pool's refill lets go
 * first ({@link ShellPool}). On a Dom0 of few vCPUs the making of a shell (its domain and memory,
 * its XenStore nodes, its vif's hotplug script) competes with a booting guest for the Dom0 that
 * serves the guest's XenStore reads, its console and its back ends.
 *
 * <p>A guest counts as booting until its vCPUs go quiet: in one {@link #WINDOW} they ran for less
 * than {@link #QUIET} of it (a boot computes; a booted guest waits for its work). It stops counting
 * when it is gone, and at the latest {@link #LONGEST} after its start, so that a guest that
 * computes from its start holds the refill back no longer than that.
 */
final class Booting {
  private static final Logger log = LoggerFactory.getLogger(Booting.class);

  static final Duration WINDOW = Duration.ofMillis(50);
  static final double QUIET = 0.2;
  static final Duration LONGEST = Duration.ofSeconds(5);

  private final Function<DomId, OptionalLong> cpuNanos;
  private final Duration longest;

  /** Each booting guest's start ({@link System#nanoTime}). */
  private final Map<DomId, Long> started = new ConcurrentHashMap<>();

  /** {@code cpuNanos}: the CPU time a domain's vCPUs have used, or empty once it is gone. */
  Booting(Function<DomId, OptionalLong> cpuNanos) {
    this(cpuNanos, LONGEST);
  }

  Booting(Function<DomId, OptionalLong> cpuNanos, Duration longest) {
    this.cpuNanos = cpuNanos;
    this.longest = longest;
  }

  /** {@code domid} runs from now on: a create's or a restore's end. */
  void started(DomId domid) {
    started.put(domid, System.nanoTime());
  }

  /**
   * Waits until no guest started is booting any more. True if it had to wait: the caller's reason
   * to wait for it may have changed meanwhile.
   */
  boolean await() throws InterruptedException {
    boolean waited = false;
    while (true) {
      long windowStart = System.nanoTime();
      Map<DomId, Long> before = new HashMap<>();
      started.forEach(
          (domid, start) -> {
            OptionalLong cpu =
                windowStart - start > longest.toNanos()
                    ? OptionalLong.empty()
                    : cpuNanos.apply(domid);
            if (cpu.isPresent()) {
              before.put(domid, cpu.getAsLong());
            } else if (started.remove(domid, start)) {
              log.debug("domain {} gone or still busy after {} ms", domid, since(start));
            }
          });
      if (before.isEmpty()) {
        return waited;
      }
      Thread.sleep(WINDOW.toMillis());
      waited = true;
      long window = System.nanoTime() - windowStart;
      before.forEach(
          (domid, cpuBefore) -> {
            OptionalLong cpu = cpuNanos.apply(domid);
            if (cpu.isEmpty() || cpu.getAsLong() - cpuBefore < QUIET * window) {
              Long start = started.remove(domid);
              if (start != null) {
                log.debug("domain {} quiet or gone after {} ms", domid, since(start));
              }
            }
          });
    }
  }

  private static long since(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}
