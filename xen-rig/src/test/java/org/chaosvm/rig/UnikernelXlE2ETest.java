package org.chaosvm.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** chaos's unikernel under Xen's own toolstack, in each of its modes, in 1 MiB. */
@Tag("xen")
class UnikernelXlE2ETest {
  private static final Duration LIMIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private String name;

  @BeforeEach
  void nameTheGuest(TestInfo test) {
    name = "uk-" + Integer.toHexString(test.getTestMethod().orElseThrow().getName().hashCode());
  }

  @AfterEach
  void destroyLeftovers() {
    Xl.destroyIfPresent(name);
  }

  @Test
  void imageIsSmall() throws Exception {
    long size = Files.size(Unikernel.image());
    assertTrue(size < 64 * 1024, Unikernel.image() + " is " + size + " bytes");
  }

  @Test
  void noopPrintsAndBlocksInOneMib() {
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Xl.create(Unikernel.writeXlConfig(dir, name, Unikernel.Mode.NOOP));
    assertTrue(console.awaitLineContaining(Unikernel.BOOTED, LIMIT).contains("(1024 KiB)"));
    console.awaitLineContaining(Unikernel.Mode.NOOP.line, LIMIT);
    String row = xlListRow(name);
    assertTrue(row.matches(name + "\\s+\\d+\\s+1\\s+1\\s+-b----.*"), row);
    Xl.destroy(name);
    assertEquals(List.of("Domain-0"), Xl.domainNames());
  }

  @Test
  void helloPrintsAndPowersOff() {
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Xl.create(Unikernel.writeXlConfig(dir, name, Unikernel.Mode.HELLO));
    console.awaitLineContaining(Unikernel.Mode.HELLO.line, LIMIT);
    Xl.awaitGone(name, LIMIT); // on_poweroff = destroy
  }

  @Test
  void crashIsACrashToXen() throws Exception {
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Xl.create(Unikernel.writeXlConfig(dir, name, Unikernel.Mode.CRASH, "on_crash = \"preserve\""));
    console.awaitLineContaining(Unikernel.Mode.CRASH.line, LIMIT);
    long deadline = System.nanoTime() + LIMIT.toNanos();
    String row = xlListRow(name);
    while (!row.contains("c-") && System.nanoTime() < deadline) {
      Thread.sleep(200);
      row = xlListRow(name);
    }
    assertTrue(row.matches(name + ".*---sc-.*"), "not crashed: " + row);
  }

  private static String xlListRow(String name) {
    return Command.run(Xl.CALL_TIMEOUT, "xl", "list", name)
        .orThrow()
        .output()
        .lines()
        .filter(line -> line.startsWith(name + " "))
        .findFirst()
        .orElseThrow(() -> new AssertionError("xl list does not show " + name));
  }
}
