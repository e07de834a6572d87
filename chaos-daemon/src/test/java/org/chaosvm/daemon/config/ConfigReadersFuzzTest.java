package org.chaosvm.daemon.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Fuzz targets of what a caller's config reaches: the xl reader, the JSON reader and xl's vif and
 * disk specs. Each may refuse its input with a {@link ConfigException} and nothing else: any other
 * exception, a stack overflow, running out of memory or time is a finding.
 *
 * <p>In the unit tests each target runs its inputs in {@code
 * src/test/resources/org/chaosvm/daemon/config/ConfigReadersFuzzTestInputs/TARGET/}: seeds, and
 * every finding, minimised, kept as a regression test. {@code JAZZER_FUZZ=1} fuzzes
 * (docs/security.md, "Fuzzing").
 */
class ConfigReadersFuzzTest {
  private static final Path FILE = Path.of("fuzz.cfg");

  private static String text(byte[] input) {
    return new String(input, StandardCharsets.UTF_8);
  }

  @FuzzTest(maxDuration = "2m")
  void xlConfig(byte[] input) {
    try {
      XlConfigReader.read(FILE, text(input));
    } catch (ConfigException refused) {
      // the one way to refuse
    }
  }

  @FuzzTest(maxDuration = "2m")
  void jsonConfig(byte[] input) {
    try {
      ChaosJsonReader.read(Path.of("fuzz.json"), text(input));
    } catch (ConfigException refused) {
      // the one way to refuse
    }
  }

  @FuzzTest(maxDuration = "2m")
  void vifSpec(byte[] input) {
    try {
      GuestConfigs.vif("network-attach", text(input));
    } catch (ConfigException refused) {
      // the one way to refuse
    }
  }

  @FuzzTest(maxDuration = "2m")
  void diskSpec(byte[] input) {
    try {
      GuestConfigs.disk("block-attach", text(input));
    } catch (ConfigException refused) {
      // the one way to refuse
    }
  }
}
