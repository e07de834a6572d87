package org.chaosvm.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** The rig itself, proven on real Xen: the test guest under Xen's own toolstack. */
@Tag("xen")
class XlCreateE2ETest {
  private static final Duration BOOT_LIMIT = Duration.ofSeconds(120);

  @TempDir Path dir;
  private String name;

  @BeforeEach
  void nameTheGuest(TestInfo test) {
    name = "rig-" + test.getTestMethod().orElseThrow().getName().hashCode();
  }

  @AfterEach
  void destroyLeftovers() {
    Xl.destroyIfPresent(name);
  }

  @Test
  void guestThatPowersOffIsListedPrintsItsConsoleLineAndIsReapedByXl() {
    // One Linux boot (some 25 s of the rig's time) for both: listed while it runs, then its
    // poweroff reaped (on_poweroff = destroy). xl destroy is used all through the suite.
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Xl.create(TestGuest.writeXlConfig(dir, name, TestGuest.Mode.HELLO));
    assertTrue(Xl.domainNames().contains(name), "xl list does not show " + name);

    String line = console.awaitLineContaining(TestGuest.GREETING, BOOT_LIMIT);
    assertTrue(line.endsWith("(mode hello)"), line);
    Xl.awaitGone(name, BOOT_LIMIT);
    assertEquals(List.of("Domain-0"), Xl.domainNames());
  }
}
