package org.chaosvm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.engine.SizeClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.OptionSpec;

/** The daemon's command line and configuration file (no Xen). */
class ChaosDaemonTest {
  @Test
  void byDefaultXenStoreRunsAndGuestsAreXenStoreGuests() {
    ChaosDaemon.Options options = ChaosDaemon.parse(new String[] {"--pool", "4x1:noxs=2"});
    assertTrue(options.xenstore());
    assertEquals(DeviceMechanism.XENSTORE, options.devices());
  }

  @Test
  void withoutXenStoreGuestsAreNoxsGuestsByDefault() {
    ChaosDaemon.Options options =
        ChaosDaemon.parse(new String[] {"--no-xenstore", "--pool", "4x1:noxs=2"});
    assertFalse(options.xenstore());
    assertEquals(DeviceMechanism.NOXS, options.devices());
  }

  @Test
  void withoutXenStoreAXenStoreDefaultOrPoolIsRefusedByName() {
    IllegalArgumentException method =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--no-xenstore", "--dev-method", "xenstore"}));
    assertTrue(method.getMessage().contains("--dev-method xenstore"), method.getMessage());
    IllegalArgumentException pool =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--pool", "4x1=2", "--no-xenstore"}));
    assertTrue(pool.getMessage().contains("pool 4x1:noxs, not 4x1"), pool.getMessage());
  }

  @Test
  void theIdleLimitBoundsConnectionsAndAMigrationsIncomingImageAlike() {
    ChaosDaemon.Options options = ChaosDaemon.parse(new String[] {"--idle-timeout", "20"});
    assertEquals(Duration.ofSeconds(20), options.limits().idle());
    assertEquals(Duration.ofSeconds(20), options.engine().idle());
    assertEquals(
        Duration.ofSeconds(60), ChaosDaemon.parse(new String[] {}).engine().idle(), "default");
  }

  @Test
  void theMembersPolicyIsReadFromItsOptionsAndABadOneStopsTheStart() {
    ChaosDaemon.Options options =
        ChaosDaemon.parse(
            new String[] {
              "--member-pool-cap", "3",
              "--member-block-device", "/dev/vg0/guest-*",
              "--member-bridge", "tenant*",
              "--member-bridge", "xenbr1"
            });
    assertEquals(3, options.members().memberPoolCap());
    assertTrue(options.members().allowsBridge("tenant4"));
    assertTrue(options.members().allowsBridge("xenbr1"));
    assertFalse(options.members().allowsBridge("xenbr0"));
    IllegalArgumentException path =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--member-bridge", "/sys/class/net/xenbr0"}));
    assertTrue(path.getMessage().contains("a bridge's name"), path.getMessage());
    IllegalArgumentException glob =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--member-bridge", "tenant[1"}));
    assertTrue(glob.getMessage().startsWith("--member-bridge: "), glob.getMessage());
  }

  @Test
  void aConfigFileGivesSettingsTheCommandLineOverridesAndListsAddUp(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("chaos-daemon.conf");
    Files.writeString(
        file,
        """
        # the package's example
        socket = /run/chaos/chaos.sock
        group = chaos

        pool = 256x1=4
        pool = 4x1:noxs=8
        member-bridge = tenant*
        no-xenstore = false
        log-level = debug
        """);
    ChaosDaemon.Options options =
        ChaosDaemon.parse(
            new String[] {
              "--config",
              file.toString(),
              "--socket",
              "/tmp/other.sock",
              "--member-bridge",
              "xenbr1"
            });
    assertEquals(Path.of("/tmp/other.sock"), options.socket());
    assertEquals("chaos", options.group().orElseThrow());
    assertEquals(Integer.valueOf(4), options.pool().get(SizeClass.parse("256x1")));
    assertEquals(Integer.valueOf(8), options.pool().get(SizeClass.parse("4x1:noxs")));
    assertTrue(options.xenstore());
    assertEquals("debug", options.logLevel().orElseThrow());
    assertTrue(options.members().allowsBridge("tenant3"));
    assertTrue(options.members().allowsBridge("xenbr1"));
    assertTrue(options.describe().contains("pool = 4x1:noxs=8\n"), options.describe());
  }

  @Test
  void aBadConfigFileIsRefusedByFileLineAndSetting(@TempDir Path dir) throws IOException {
    assertRefused(dir, "sockets = /run/x.sock\n", "chaos-daemon.conf:1: unknown setting 'sockets'");
    assertRefused(dir, "# c\nsocket /run/x.sock\n", "chaos-daemon.conf:2: not KEY = VALUE");
    assertRefused(
        dir, "group = a\ngroup = b\n", "chaos-daemon.conf:2: group is set twice (lines 1 and 2)");
    assertRefused(dir, "no-xenstore = maybe\n", "no-xenstore takes true or false, not 'maybe'");
    assertRefused(dir, "config = /etc/other.conf\n", "unknown setting 'config'");
    assertRefused(dir, "check-config = true\n", "unknown setting 'check-config'");
    assertRefused(dir, "group =\n", "chaos-daemon.conf:1: group needs a value");
    assertRefused(dir, "pool = 256x1\n", "--pool takes MEMORYxVCPUS[:noxs]=COUNT");
    assertRefused(dir, "log-level = loud\n", "--log-level takes error, warn, info");
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ChaosDaemon.parse(new String[] {"--config", dir.resolve("none.conf").toString()}));
    assertTrue(missing.getMessage().endsWith("none.conf: no such file"), missing.getMessage());
  }

  @Test
  void checkConfigPrintsEverySettingTheFileTakes() {
    String described =
        ChaosDaemon.parse(
                new String[] {
                  "--group", "chaos",
                  "--pool", "256x1=4",
                  "--log-level", "info",
                  "--member-block-device", "/dev/vg0/*",
                  "--member-bridge", "xenbr1"
                })
            .describe();
    for (OptionSpec option : ChaosDaemon.commandLine().getCommandSpec().options()) {
      String key = option.longestName().substring(2);
      if (!List.of("config", "check-config", "help", "version").contains(key)) {
        assertTrue(
            described.contains("\n" + key + " = ") || described.startsWith(key + " = "), key);
      }
    }
  }

  @Test
  void anUnknownOptionIsRefusedByName() {
    IllegalArgumentException unknown =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--pools", "256x1=4"}));
    assertTrue(unknown.getMessage().contains("--pools"), unknown.getMessage());
  }

  private static void assertRefused(Path dir, String text, String message) throws IOException {
    Path file = dir.resolve("chaos-daemon.conf");
    Files.writeString(file, text);
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--config", file.toString()}));
    assertTrue(refused.getMessage().contains(message), refused.getMessage());
  }
}
