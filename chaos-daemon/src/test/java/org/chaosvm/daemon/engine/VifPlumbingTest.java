package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VifPlumbingTest {
  @Test
  void aGeneratedMacIsInXensOuiAndTheSameForTheSameGuestAndDevid() {
    String mac = VifPlumbing.generatedMac("web1", 0);
    assertTrue(mac.matches("00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}"), mac);
    assertEquals(mac, VifPlumbing.generatedMac("web1", 0));
    assertNotEquals(mac, VifPlumbing.generatedMac("web1", 1));
    assertNotEquals(mac, VifPlumbing.generatedMac("web2", 0));
  }

  @Test
  void generatedMacsOfManyGuestsRarelyCollide() {
    Set<String> macs = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      macs.add(VifPlumbing.generatedMac("guest-" + i, 0));
    }
    // 23 random bits: a few collisions in 1000 would be bad luck, many a broken hash use.
    assertTrue(macs.size() >= 995, macs.size() + " distinct MACs of 1000");
  }

  @Test
  void netbackNamesItsInterfacesVifDomidDotDevid() {
    assertEquals("vif12.3", VifPlumbing.backendName(12, 3));
  }
}
