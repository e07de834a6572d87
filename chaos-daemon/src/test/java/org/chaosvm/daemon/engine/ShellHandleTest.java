package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class ShellHandleTest {
  @Test
  void aShellsHandleSaysSoAndIsOtherwiseRandom() {
    UUID one = DomainLayout.shellHandle();
    UUID two = DomainLayout.shellHandle();
    assertTrue(one.toString().startsWith("c4a05e11-"), one.toString());
    assertTrue(DomainLayout.isShellHandle(one));
    assertNotEquals(one, two);
    assertEquals(4, one.version());
    assertFalse(
        DomainLayout.isShellHandle(UUID.fromString("5a1b7e0c-7c2f-4b8e-9d3a-0c0ffee0cafe")));
  }
}
