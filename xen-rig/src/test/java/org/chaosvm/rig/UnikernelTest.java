package org.chaosvm.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UnikernelTest {
  @Test
  void configHasTheModeOneMibAndTheGivenSettingsReplaceTheDefaults() {
    String config = Unikernel.xlConfig("uk", Unikernel.Mode.CRASH, "on_crash = \"preserve\"");
    assertTrue(config.contains("cmdline = \"crash\"\n"), config);
    assertTrue(config.contains("memory = 1\n"), config);
    assertTrue(config.contains("on_crash = \"preserve\"\n"), config);
    assertEquals(1, config.split("on_crash").length - 1, config);
  }
}
