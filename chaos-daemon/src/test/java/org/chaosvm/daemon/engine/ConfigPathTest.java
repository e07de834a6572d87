package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.chaosvm.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

/** A create request's config path (no Xen). */
class ConfigPathTest {
  @Test
  void aPathWithANulIsABadRequestNotAnInternalError() {
    assertEquals(Path.of("/srv/vm.cfg"), XenEngine.configPath("/srv/vm.cfg"));
    ChaosException e = assertThrows(ChaosException.class, () -> XenEngine.configPath("/a\0b"));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    assertEquals("the config's path is not a path: Nul character not allowed", e.getMessage());
  }
}
