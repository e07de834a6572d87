package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.PvBuild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pool's bookkeeping, with stand-in prepare and destroy (no Xen: this is the pool's logic). */
@Timeout(30)
class ShellPoolTest {
  private static final SizeClass SMALL = new SizeClass(64, 1);
  private static final SizeClass LARGE = new SizeClass(256, 2);

  private final AtomicInteger domids = new AtomicInteger(1);
  private final List<Shell> destroyed = new CopyOnWriteArrayList<>();

  private Shell prepare(SizeClass size) {
    DomId domid = DomId.of(domids.getAndIncrement());
    return new Shell(
        new PvBuild.Prepared(
            domid, UUID.randomUUID(), size.vcpus(), size.memoryMib() * 1024L, 1, 2),
        size);
  }

  @Test
  void thePoolFillsEachClassToItsTargetAndATakeIsRefilled() throws Exception {
    try (ShellPool pool = new ShellPool(this::prepare, destroyed::add, Map.of(SMALL, 2))) {
      assertTrue(pool.awaitFull(10_000));
      assertArrayEquals(new int[] {2, 2}, pool.state().get(SMALL));
      Optional<Shell> taken = pool.take(SMALL);
      assertEquals(SMALL, taken.orElseThrow().size());
      assertTrue(pool.awaitFull(10_000), "refilled after a take");
      assertEquals(4, domids.get(), "three shells prepared: two, then one for the take");
    }
  }

  @Test
  void noPrepareStartsWhileACreateIsExecutingAndTheRefillFollowsItsEnd() throws Exception {
    try (ShellPool pool = new ShellPool(this::prepare, destroyed::add, Map.of(SMALL, 1))) {
      assertTrue(pool.awaitFull(10_000));
      ShellPool.Execution first = pool.executing();
      ShellPool.Execution second = pool.executing();
      assertTrue(pool.take(SMALL).isPresent());
      assertFalse(pool.awaitFull(300), "refilled during a create");
      first.close();
      first.close(); // once only
      assertFalse(pool.awaitFull(300), "refilled while a second create runs");
      second.close();
      assertTrue(pool.awaitFull(10_000), "refilled once the creates ended");
      assertEquals(3, domids.get(), "two shells prepared");
    }
  }

  @Test
  void oneSizesXenStoreAndNoxsShellsArePooledApart() throws Exception {
    SizeClass noxs = new SizeClass(64, 1, DeviceMechanism.NOXS);
    try (ShellPool pool = new ShellPool(this::prepare, destroyed::add, Map.of(SMALL, 1, noxs, 2))) {
      assertTrue(pool.awaitFull(10_000));
      assertArrayEquals(new int[] {1, 1}, pool.state().get(SMALL));
      assertArrayEquals(new int[] {2, 2}, pool.state().get(noxs));
      assertEquals(noxs, pool.take(noxs).orElseThrow().size());
      assertEquals(SMALL, pool.take(SMALL).orElseThrow().size());
      assertEquals("64x1:noxs", noxs.toString());
      assertEquals(noxs, SizeClass.parse("64x1:noxs"));
      assertEquals(SMALL, SizeClass.parse("64x1"));
    }
  }

  @Test
  void aTakeOfAClassWithoutShellsFindsNoneAndNeverWaits() {
    try (ShellPool pool = new ShellPool(this::prepare, destroyed::add, Map.of())) {
      assertEquals(Optional.empty(), pool.take(LARGE));
    }
  }

  @Test
  void loweringATargetToZeroKeepsTheReadyShellsUntilTakenOrClosed() throws Exception {
    ShellPool pool = new ShellPool(this::prepare, destroyed::add, Map.of(SMALL, 1, LARGE, 1));
    assertTrue(pool.awaitFull(10_000));
    pool.setTarget(LARGE, 0);
    assertArrayEquals(new int[] {1, 0}, pool.state().get(LARGE));
    assertThrows(IllegalArgumentException.class, () -> pool.setTarget(SMALL, -1));
    pool.close();
    assertEquals(2, destroyed.size(), "close destroys every ready shell");
  }

  @Test
  void noPrepareStartsWhileAGuestJustCreatedBoots() throws Exception {
    CountDownLatch booted = new CountDownLatch(1);
    AtomicInteger looks = new AtomicInteger();
    ShellPool.Yield booting =
        () -> {
          looks.incrementAndGet();
          booted.await();
          return looks.get() == 1; // waited the first time only
        };
    try (ShellPool pool =
        new ShellPool(this::prepare, destroyed::add, Map.of(SMALL, 1), () -> {}, booting)) {
      assertFalse(pool.awaitFull(300), "prepared while a guest boots");
      booted.countDown();
      assertTrue(pool.awaitFull(10_000), "the refill follows the boot");
      assertEquals(
          2, looks.get(), "after its wait the refill looked at the pool and the boots again");
    }
  }

  @Test
  void aFailedPrepareIsRetriedAndTheShellsThatWereMadeStay() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (ShellPool pool =
        new ShellPool(
            size -> {
              if (calls.getAndIncrement() == 0) {
                throw new ChaosException(org.chaosvm.protocol.ErrorCode.NO_CAPACITY, "full");
              }
              return prepare(size);
            },
            destroyed::add,
            Map.of(SMALL, 1))) {
      assertFalse(pool.awaitFull(100), "not at once: the first prepare failed");
      assertTrue(pool.awaitFull(10_000), "a later try succeeds");
    }
  }
}
