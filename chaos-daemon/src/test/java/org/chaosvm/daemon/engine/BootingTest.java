package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.chaosvm.libxc.DomId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** When a guest stops counting as booting, with stand-in CPU times (the logic, not Xen). */
@Timeout(30)
class BootingTest {
  private static final DomId GUEST = DomId.of(7);

  /** A CPU time that follows the wall clock: one vCPU at work. */
  private static final long BUSY = -1;

  /** Each domain's CPU time: a fixed value, or {@link #BUSY}. */
  private final Map<DomId, Long> cpu = new ConcurrentHashMap<>();

  private OptionalLong cpuNanos(DomId domid) {
    Long time = cpu.get(domid);
    if (time == null) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(time == BUSY ? System.nanoTime() : time);
  }

  @Test
  void withNoGuestStartedNothingIsAwaited() throws Exception {
    assertFalse(new Booting(this::cpuNanos).await());
  }

  @Test
  void aGuestWhoseVcpusAreQuietEndsItsBootAfterOneWindow() throws Exception {
    Booting booting = new Booting(this::cpuNanos);
    cpu.put(GUEST, 1_000_000L);
    booting.started(GUEST);
    assertTrue(booting.await(), "one window watched");
    assertFalse(booting.await(), "no longer booting");
  }

  @Test
  void aBusyGuestCountsUntilItGoesQuietOrGone() throws Exception {
    Booting booting = new Booting(this::cpuNanos);
    cpu.put(GUEST, BUSY);
    booting.started(GUEST);
    Thread quiet =
        new Thread(
            () -> {
              try {
                Thread.sleep(300);
              } catch (InterruptedException e) {
                return;
              }
              cpu.put(GUEST, 5L);
            });
    quiet.start();
    long start = System.nanoTime();
    assertTrue(booting.await());
    assertTrue(System.nanoTime() - start >= 300_000_000L, "held while the guest computed");
    quiet.join();

    booting.started(GUEST);
    cpu.remove(GUEST); // destroyed
    assertFalse(booting.await(), "a guest that is gone is not waited for");
  }

  @Test
  void aGuestThatComputesFromItsStartIsWaitedForAtMostTheLongest() throws Exception {
    Booting booting = new Booting(this::cpuNanos, Duration.ofMillis(200));
    cpu.put(GUEST, BUSY);
    booting.started(GUEST);
    assertTrue(booting.await(), "ends while the guest still computes");
    assertFalse(booting.await());
  }
}
