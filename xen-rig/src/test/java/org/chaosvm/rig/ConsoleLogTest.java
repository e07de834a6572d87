package org.chaosvm.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLogTest {
  @TempDir Path dir;

  @Test
  void logOfAGuestIsNamedAsXenconsoledNamesIt() {
    assertEquals(Path.of("/var/log/xen/console/guest-web1.log"), ConsoleLog.of("web1").file());
  }

  @Test
  void lineWrittenAfterTheWaitStartsIsFound() throws Exception {
    Path file = dir.resolve("guest-late.log");
    ConsoleLog log = new ConsoleLog(file);

    CompletableFuture<String> line =
        CompletableFuture.supplyAsync(
            () -> log.awaitLineContaining("hello from", Duration.ofSeconds(20)));
    Thread.sleep(300);
    Files.writeString(file, "booting\n");
    Files.writeString(file, "chaos-rig guest: hello from Linux\n", StandardOpenOption.APPEND);

    assertEquals("chaos-rig guest: hello from Linux", line.get());
  }

  @Test
  void sinceNowIgnoresWhatAnEarlierGuestOfTheSameNameLogged() throws Exception {
    Path file = dir.resolve("guest-reused.log");
    Files.writeString(file, "chaos-rig guest: hello from the first guest\n");
    ConsoleLog log = new ConsoleLog(file).sinceNow();

    assertEquals(List.of(), log.lines());
    Files.writeString(
        file, "chaos-rig guest: hello from the second guest\n", StandardOpenOption.APPEND);

    assertEquals(
        "chaos-rig guest: hello from the second guest",
        log.awaitLineContaining("hello from", Duration.ofSeconds(5)));
  }

  @Test
  void sinceNowOfALogNotYetWrittenReadsItAll() throws Exception {
    Path file = dir.resolve("guest-new.log");
    ConsoleLog log = new ConsoleLog(file).sinceNow();
    Files.writeString(file, "first line\n");

    assertEquals(List.of("first line"), log.lines());
  }

  @Test
  void missingLogReadsAsEmpty() {
    assertEquals(List.of(), new ConsoleLog(dir.resolve("guest-none.log")).lines());
  }

  @Test
  void timeoutReportsWhatWasLogged() throws Exception {
    Path file = dir.resolve("guest-quiet.log");
    Files.writeString(file, "kernel panic\n");

    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> new ConsoleLog(file).awaitLineContaining("hello", Duration.ofMillis(300)));

    assertTrue(e.getMessage().contains("kernel panic"), e.getMessage());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }
}
