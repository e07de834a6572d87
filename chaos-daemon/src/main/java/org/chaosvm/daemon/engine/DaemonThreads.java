package org.chaosvm.daemon.engine;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The engine's own background threads: daemon threads, each named for its job. */
final class DaemonThreads {
  private DaemonThreads() {}

  /** One daemon thread named {@code name} that runs scheduled tasks. */
  static ScheduledExecutorService scheduler(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        task -> {
          Thread thread = new Thread(task, name);
          thread.setDaemon(true);
          return thread;
        });
  }
}
