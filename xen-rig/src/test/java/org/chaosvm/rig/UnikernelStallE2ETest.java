package org.chaosvm.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unikernel's count mode suspends for a save while nothing reads its console: xenconsoled is
 * stopped (SIGSTOP) until the guest's output ring is full, then {@code xl save} asks for the
 * suspend. A console write gives up after a second of a full ring; before it did, the guest stayed
 * in that write and never suspended (xl still waiting after 45 s, measured in the rig); after the
 * restore it counts on. Tagged {@code xen-stress}, outside the suite: the ring takes about 75 s to
 * fill at a line a second.
 */
@Tag("xen-stress")
class UnikernelStallE2ETest {
  private static final Duration LIMIT = Duration.ofSeconds(60);

  /** The 2 KiB output ring at about 28 bytes a second ("chaos unikernel: count N"), and more. */
  private static final Duration RING_FILLS = Duration.ofSeconds(100);

  private static final String NAME = "uk-stall";

  /** A count it reaches only by counting through the stall: more than the limit's seconds. */
  private static final long COUNTED = RING_FILLS.toSeconds();

  @TempDir Path dir;

  @AfterEach
  void cleanUp() {
    xenconsoled("-CONT");
    Xl.destroyIfPresent(NAME);
  }

  @Test
  void aCounterWhoseConsoleNobodyReadsStillSuspends() {
    ConsoleLog console = ConsoleLog.of(NAME).sinceNow();
    Xl.create(Unikernel.writeXlConfig(dir, NAME, Unikernel.Mode.COUNT));
    console.awaitLineContaining(Unikernel.COUNT + "2", LIMIT);
    xenconsoled("-STOP");
    ConsoleLog.sleep(RING_FILLS);
    Path image = dir.resolve(NAME + ".img");

    Command.Result saved = Command.run(LIMIT, "xl", "save", NAME, image.toString());

    assertEquals(0, saved.exitCode(), saved.output());
    assertFalse(Xl.domainNames().contains(NAME), "the saved guest is still there");
    xenconsoled("-CONT");
    Command.run(LIMIT, "xl", "restore", image.toString()).orThrow();
    // It counted on through the stall (its lines dropped, not its count) and the restore: from 1
    // again, it would take longer than the limit to print this.
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (Unikernel.lastCount(console) < COUNTED) {
      assertTrue(System.nanoTime() < deadline, "not counting on: " + console.lines());
      ConsoleLog.sleep(Duration.ofMillis(250));
    }
  }

  /** Sends xenconsoled a signal ({@code -STOP}, {@code -CONT}). */
  private static void xenconsoled(String signal) {
    Command.run(Duration.ofSeconds(30), "pkill", signal, "-x", "xenconsoled");
  }
}
