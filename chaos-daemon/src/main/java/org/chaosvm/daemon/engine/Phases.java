package org.chaosvm.daemon.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/** The time of each named phase of one operation, in order. */
final class Phases {
  private final Map<String, Double> millis = new LinkedHashMap<>();
  private long start = System.nanoTime();

  /** Ends the phase that ran since the last call (or since construction). */
  void end(String phase) {
    long now = System.nanoTime();
    millis.merge(phase, (now - start) / 1e6, Double::sum);
    start = now;
  }

  Map<String, Double> millis() {
    return millis;
  }
}
