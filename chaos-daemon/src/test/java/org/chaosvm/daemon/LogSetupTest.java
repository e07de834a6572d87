package org.chaosvm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's log lines carry their time, except in the journal, which keeps its own. */
class LogSetupTest {
  @Test
  void linesCarryTheirTimeOutsideTheJournal(@TempDir Path dir) throws Exception {
    Path out = Files.createFile(dir.resolve("out"));
    String journal =
        Files.getAttribute(out, "unix:dev") + ":" + Files.getAttribute(out, "unix:ino");

    assertEquals(LogSetup.PATTERN, LogSetup.pattern(journal, out));
    assertEquals(LogSetup.TIME + LogSetup.PATTERN, LogSetup.pattern(null, out));
    // a process started by a service, its output sent elsewhere: the variable is inherited
    Path other = Files.createFile(dir.resolve("other"));
    assertEquals(LogSetup.TIME + LogSetup.PATTERN, LogSetup.pattern(journal, other));
    assertEquals(LogSetup.TIME + LogSetup.PATTERN, LogSetup.pattern("journal", out));
    assertEquals(LogSetup.TIME + LogSetup.PATTERN, LogSetup.pattern(journal, dir.resolve("gone")));
  }
}
