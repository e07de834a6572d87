package org.chaosvm.daemon.engine;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting for Dom0 or a guest to get somewhere (an interface to appear, a back end to close, a
 * domain to go): checks, then sleeps a pause that doubles from {@code firstPauseMs} up to {@code
 * maxPauseMs}, until the condition holds or the time is up. An interrupt ends the request.
 */
final class Polling {
  private Polling() {}

  /** True once {@code done} holds; false if it still did not at the end of {@code timeout}. */
  static boolean until(Duration timeout, long firstPauseMs, long maxPauseMs, BooleanSupplier done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long pause = firstPauseMs;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      XenEngine.sleep(pause);
      pause = Math.min(pause * 2, maxPauseMs);
    }
    return true;
  }
}
