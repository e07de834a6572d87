package org.chaosvm.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.chaosvm.daemon.ChaosDaemon;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.OptionSpec;

/** The manual pages, as troff text (the packages' check renders them with man). */
class ManPagesTest {
  private static final Map<String, String> PAGES =
      ManPages.pages("chaos 1.2.3", "2026-12-02", configFormat()).stream()
          .collect(Collectors.toMap(ManPages.Page::file, ManPages.Page::text));

  @Test
  void eachCommandHasItsPageInItsSection() {
    assertEquals(
        List.of("chaos-daemon.8", "chaos-daemon.conf.5", "chaos.1", "chaos.cfg.5", "tinyx.1"),
        PAGES.keySet().stream().sorted().toList());
    assertTrue(
        PAGES.get("chaos.1").startsWith(".TH \"CHAOS\" 1 \"2026\\-12\\-02\" \"chaos 1.2.3\""));
    assertTrue(PAGES.get("chaos-daemon.8").startsWith(".TH \"CHAOS\\-DAEMON\" 8 "));
  }

  @Test
  void theChaosPageHoldsEverySubcommandAndTheExitCodes() {
    String page = PAGES.get("chaos.1");
    for (String command : List.of("create", "destroy", "block\\-attach", "network\\-list")) {
      assertTrue(page.contains(".SS \"chaos " + command + "\""), command);
    }
    assertFalse(page.contains("generate\\-completion\""), "picocli's own subcommand is hidden");
    assertTrue(page.contains(".SH \"EXIT STATUS\""));
    assertTrue(page.contains("\\fB10\\fR"), "the last exit code");
  }

  @Test
  void theConfigPageNamesEverySettingTheDaemonReads() {
    String page = PAGES.get("chaos-daemon.conf.5");
    for (OptionSpec option : ChaosDaemon.commandLine().getCommandSpec().options()) {
      String key = option.longestName().substring(2);
      boolean fileSetting = !List.of("config", "check-config", "help", "version").contains(key);
      assertEquals(
          fileSetting, page.contains("\\fB" + ManPage.escape(key) + " = "), "setting " + key);
    }
    assertFalse(page.contains("${DEFAULT-VALUE}"));
    assertTrue(page.contains("(default: /run/chaos/chaos.sock)"));
  }

  @Test
  void theGuestConfigPageIsDocsConfigMd() {
    String page = PAGES.get("chaos.cfg.5");
    assertTrue(page.contains(".SH \"XL.CFG (PV GUESTS)\""), page);
    assertTrue(page.contains(".SS \"Disks (\\fBdisk\\fR)\""), page);
    assertTrue(page.contains(".TP\n\\fBmemory\\fR\n"), "the keys' table as tagged paragraphs");
    assertTrue(page.contains("Default: 128."), page);
    assertTrue(page.contains("\\fB10Mb/s\\fR"), "inline code");
    assertFalse(page.contains("`"), "no Markdown left");
  }

  private static String configFormat() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("../docs/config.md"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void textIsMadeLiteralForTroff() {
    assertEquals("\\&.hidden \\e \\-\\-x", ManPage.escape(".hidden \\ --x"));
    assertEquals("\\&'quote", ManPage.escape("'quote"));
  }
}
