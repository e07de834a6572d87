package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A thread's scheduling class, on the host (no privilege needed). */
class ThreadSchedulingTest {
  /** The scheduling policy of the calling thread: field 41 of /proc/thread-self/stat. */
  private static int policy() throws IOException {
    String stat = Files.readString(Path.of("/proc/thread-self/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Integer.parseInt(fields[41 - 3]); // the fields after "pid (comm)" start at the 3rd
  }

  @Test
  void idleMovesTheCallingThreadAloneToSchedIdle() throws Exception {
    int before = policy();
    int idle =
        CompletableFuture.supplyAsync(
                () -> {
                  ThreadScheduling.idle();
                  try {
                    return policy();
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                },
                runnable -> new Thread(runnable, "idle-probe").start())
            .get();
    assertEquals(LinuxAbi.SCHED_IDLE, idle);
    assertEquals(before, policy(), "the calling thread alone, not the others");
  }
}
