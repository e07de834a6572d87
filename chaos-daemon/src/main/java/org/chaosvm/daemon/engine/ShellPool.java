package org.chaosvm.daemon.engine;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepared VM shells, per size class, kept at their targets by a background thread: a take never
 * waits for a refill, and the refill starts after every take. The original LightVM daemon never
 * refilled.
 *
 * <p>The refill is the daemon's idle work: it starts no prepare while a create is running ({@link
 * #executing}), so that a create does not share Dom0's CPUs with the making of the shell that
 * replaces the one it took (on a Dom0 of one vCPU, that doubled a pooled create's time). A prepare
 * under way when a create begins runs to its end. In the daemon the refill thread also runs at a
 * lower priority ({@code background}: nice 10), so that when a create's end wakes it, it does not
 * take the CPU from the create's last steps and its reply. Nor does it start a prepare while a
 * guest just created is booting ({@code booting}, in the daemon {@link Booting}): that boot needs
 * Dom0 too, and is what the pool is for.
 */
final class ShellPool implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ShellPool.class);

  /** After a failed prepare (out of memory, say) the refill waits this long before trying again. */
  private static final long RETRY_MILLIS = 2000;

  private final Function<SizeClass, Shell> prepare;
  private final Consumer<Shell> destroy;
  private final Map<SizeClass, Integer> targets = new TreeMap<>(ShellPool::compare);
  private final Map<SizeClass, Deque<Shell>> ready = new HashMap<>();
  private final Thread refill;
  private final Yield booting;
  private int executing;
  private boolean closed;

  /** Whether "pool at its targets" was logged since the targets were last set. */
  private boolean reported;

  ShellPool(
      Function<SizeClass, Shell> prepare,
      Consumer<Shell> destroy,
      Map<SizeClass, Integer> initialTargets) {
    this(prepare, destroy, initialTargets, () -> {}, () -> false);
  }

  /**
   * What the refill waits for before each prepare, besides the creates' execute phases: the boots
   * of the guests just created.
   */
  @FunctionalInterface
  interface Yield {
    /** Waits until the refill may go on; true if it waited (it then looks at the pool again). */
    boolean await() throws InterruptedException;
  }

  /**
   * {@code background} is run first in the refill thread: it lowers that thread's priority. {@code
   * booting} is awaited before each prepare.
   */
  ShellPool(
      Function<SizeClass, Shell> prepare,
      Consumer<Shell> destroy,
      Map<SizeClass, Integer> initialTargets,
      Runnable background,
      Yield booting) {
    this.prepare = prepare;
    this.destroy = destroy;
    this.booting = booting;
    this.targets.putAll(initialTargets);
    this.refill =
        new Thread(
            () -> {
              background.run();
              refillLoop();
            },
            "shell-pool-refill");
    this.refill.setDaemon(true);
    this.refill.start();
  }

  /** A ready shell of exactly this size, if the pool has one. */
  synchronized Optional<Shell> take(SizeClass size) {
    Deque<Shell> shells = ready.get(size);
    Shell shell = shells == null ? null : shells.pollFirst();
    if (executing == 0) {
      notifyAll(); // else the refill waits for the execution's end, which wakes it
    }
    return Optional.ofNullable(shell);
  }

  /**
   * Holds the refill back until the returned handle is closed: the caller is running a create's
   * execute phase. Any number may be held at once.
   */
  synchronized Execution executing() {
    executing++;
    return new Execution();
  }

  /** A create's execute phase, during which the refill starts no prepare. */
  final class Execution implements AutoCloseable {
    private boolean ended;

    private Execution() {}

    @Override
    public void close() {
      synchronized (ShellPool.this) {
        if (!ended) {
          ended = true;
          executing--;
          ShellPool.this.notifyAll();
        }
      }
    }
  }

  synchronized void setTarget(SizeClass size, int target) {
    if (target < 0) {
      throw new IllegalArgumentException("a pool target is 0 or more");
    }
    if (target == 0) {
      targets.remove(size);
    } else {
      targets.put(size, target);
    }
    reported = false;
    notifyAll();
  }

  /** Sets several targets at once: the refill sees all of them changed, or none. */
  synchronized void setTargets(Map<SizeClass, Integer> newTargets) {
    newTargets.forEach(
        (size, target) -> {
          if (target < 0) {
            throw new IllegalArgumentException("a pool target is 0 or more");
          }
        });
    newTargets.forEach(this::setTarget);
  }

  /** Per size class: shells ready, and the target. */
  synchronized Map<SizeClass, int[]> state() {
    Map<SizeClass, int[]> state = new TreeMap<>(ShellPool::compare);
    targets.forEach((size, target) -> state.put(size, new int[] {count(size), target}));
    ready.forEach((size, shells) -> state.putIfAbsent(size, new int[] {shells.size(), 0}));
    return state;
  }

  /** Waits (at most {@code millis}) until every class is at its target; true if it is. */
  synchronized boolean awaitFull(long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!full()) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  private boolean full() {
    return targets.entrySet().stream().allMatch(e -> count(e.getKey()) >= e.getValue());
  }

  private int count(SizeClass size) {
    Deque<Shell> shells = ready.get(size);
    return shells == null ? 0 : shells.size();
  }

  private void refillLoop() {
    while (true) {
      SizeClass wanted = null;
      synchronized (this) {
        while (!closed && (executing > 0 || (wanted = short_()) == null)) {
          try {
            wait();
          } catch (InterruptedException e) {
            return;
          }
        }
        if (closed) {
          return;
        }
      }
      try {
        if (booting.await()) {
          continue; // meanwhile a create may have begun, or taken a shell, or the targets changed
        }
      } catch (InterruptedException e) {
        return;
      }
      try {
        Shell shell = prepare.apply(wanted);
        String report = null; // the targets, when the pool has just reached them
        synchronized (this) {
          if (closed) {
            destroy.accept(shell);
            return;
          }
          ready.computeIfAbsent(wanted, s -> new ArrayDeque<>()).addLast(shell);
          notifyAll();
          if (full() && !reported) {
            report = targets.toString();
            reported = true; // once, not after each create's refill, until the targets change
          }
        }
        // Logged outside the lock: a background thread may wait for the CPU while holding it.
        log.debug("prepared shell {} ({})", shell.domid(), wanted);
        if (report != null) {
          log.info("pool at its targets: {}", report);
        }
      } catch (RuntimeException e) {
        log.warn("cannot prepare a {} shell: {}", wanted, e.getMessage());
        try {
          Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  /** A class below its target, or null. */
  private SizeClass short_() {
    for (Map.Entry<SizeClass, Integer> target : targets.entrySet()) {
      if (count(target.getKey()) < target.getValue()) {
        return target.getKey();
      }
    }
    return null;
  }

  /** Stops the refill and destroys every ready shell. */
  @Override
  public void close() {
    List<Shell> leftover;
    synchronized (this) {
      closed = true;
      notifyAll();
      leftover = ready.values().stream().flatMap(Deque::stream).toList();
      ready.clear();
    }
    refill.interrupt();
    try {
      refill.join(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Shell shell : leftover) {
      try {
        destroy.accept(shell);
      } catch (RuntimeException e) {
        log.warn("cannot destroy shell {}: {}", shell.domid(), e.getMessage());
      }
    }
  }

  /** Smaller shells first; one size's mechanisms apart (a shell is of one mechanism only). */
  private static int compare(SizeClass a, SizeClass b) {
    return Comparator.comparingInt(SizeClass::memoryMib)
        .thenComparingInt(SizeClass::vcpus)
        .thenComparing(SizeClass::devices)
        .compare(a, b);
  }
}
