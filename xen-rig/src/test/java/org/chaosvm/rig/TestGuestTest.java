package org.chaosvm.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestGuestTest {
  @Test
  void modeIsPassedOnTheKernelCommandLineTheGuestInitReads() {
    assertEquals("console=hvc0 quiet rig.mode=wait", TestGuest.commandLine(TestGuest.Mode.WAIT));
  }

  @Test
  void xlConfigNamesTheGuestItsImagesAndItsMode(@TempDir Path dir) throws Exception {
    Path config = TestGuest.writeXlConfig(dir, "probe", TestGuest.Mode.CRASH);
    String text = Files.readString(config);

    assertEquals(dir.resolve("probe.cfg"), config);
    assertTrue(text.contains("name = \"probe\"\n"), text);
    assertTrue(text.contains("kernel = \"" + TestGuest.kernel() + "\"\n"), text);
    assertTrue(text.contains("ramdisk = \"" + TestGuest.ramdisk() + "\"\n"), text);
    assertTrue(text.contains("extra = \"console=hvc0 quiet rig.mode=crash\"\n"), text);
    assertTrue(text.contains("memory = 256\n"), text);
  }
}
