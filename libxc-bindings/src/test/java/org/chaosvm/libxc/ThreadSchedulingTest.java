package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A thread's nice value, on the host (no privilege needed). */
class ThreadSchedulingTest {
  /** The nice value of the calling thread: field 19 of /proc/thread-self/stat. */
  private static int nice() {
    try {
      String stat = Files.readString(Path.of("/proc/thread-self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Integer.parseInt(fields[19 - 3]); // the fields after "pid (comm)" start at the 3rd
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void niceChangesTheCallingThreadAlone() throws Exception {
    int before = nice();
    int after =
        CompletableFuture.supplyAsync(
                () -> {
                  ThreadScheduling.nice(before + 7);
                  return nice();
                },
                runnable -> new Thread(runnable, "nice-probe").start())
            .get();
    assertEquals(before + 7, after);
    assertEquals(before, nice(), "the calling thread alone, not the others");
  }

  @Test
  void aValueOutsideZeroToNineteenIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> ThreadScheduling.nice(-1));
    assertThrows(IllegalArgumentException.class, () -> ThreadScheduling.nice(20));
  }
}
