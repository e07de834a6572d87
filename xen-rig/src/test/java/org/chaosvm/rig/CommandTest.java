package org.chaosvm.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CommandTest {
  private static final Duration LIMIT = Duration.ofSeconds(20);

  @Test
  void capturesStandardOutputAndErrorTogether() {
    Command.Result result = Command.run(LIMIT, "sh", "-c", "echo out; echo err >&2");

    assertTrue(result.succeeded());
    assertTrue(result.output().contains("out\n"));
    assertTrue(result.output().contains("err\n"));
  }

  @Test
  void failureNamesTheCommandItsExitCodeAndItsOutput() {
    Command.Result result = Command.run(LIMIT, "sh", "-c", "echo broken; exit 3");

    assertFalse(result.succeeded());
    assertEquals(3, result.exitCode());
    Command.CommandFailedException e =
        assertThrows(Command.CommandFailedException.class, result::orThrow);
    assertTrue(e.getMessage().contains("exited with 3"), e.getMessage());
    assertTrue(e.getMessage().contains("broken"), e.getMessage());
  }

  @Test
  void programOutlivingItsLimitIsKilledAndReported() {
    long start = System.nanoTime();
    Command.CommandFailedException e =
        assertThrows(
            Command.CommandFailedException.class,
            () -> Command.run(Duration.ofMillis(300), "sh", "-c", "echo started; sleep 30"));

    assertTrue(e.getMessage().contains("did not finish"), e.getMessage());
    assertTrue(e.getMessage().contains("started"), e.getMessage());
    assertTrue(
        Duration.ofNanos(System.nanoTime() - start).toSeconds() < 20, "sleep was not killed");
  }

  @Test
  void missingProgramIsAClearFailure() {
    Command.CommandFailedException e =
        assertThrows(
            Command.CommandFailedException.class,
            () -> Command.run(LIMIT, "/nonexistent/chaos-rig-tool"));

    assertTrue(e.getMessage().contains("cannot start"), e.getMessage());
  }
}
