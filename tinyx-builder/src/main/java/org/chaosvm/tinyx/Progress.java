package org.chaosvm.tinyx;

import java.io.PrintWriter;

/** Prints each step of a build with its number and time, and the progress of long ones. */
final class Progress {
  private final PrintWriter out;
  private final int steps;
  private int step;
  private String name = "start";
  private long stepStart = System.nanoTime();
  private final long buildStart = System.nanoTime();

  Progress(PrintWriter out, int steps) {
    this.out = out;
    this.steps = steps;
  }

  /** Starts the next step, ending the one before. */
  void step(String stepName) {
    end();
    step++;
    name = stepName;
    stepStart = System.nanoTime();
    out.printf("tinyx: [%d/%d] %s%n", step, steps, stepName);
    out.flush();
  }

  /** A line of progress within the step. */
  void detail(String format, Object... args) {
    out.printf("tinyx:       " + format + "%n", args);
    out.flush();
  }

  String current() {
    return name;
  }

  void end() {
    if (step > 0 && stepStart != 0) {
      out.printf("tinyx:       %s: %.1f s%n", name, (System.nanoTime() - stepStart) / 1e9);
      out.flush();
      stepStart = 0;
    }
  }

  double totalSeconds() {
    return (System.nanoTime() - buildStart) / 1e9;
  }
}
