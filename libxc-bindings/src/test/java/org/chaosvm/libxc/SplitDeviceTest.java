package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class SplitDeviceTest {
  @Test
  void pathsOfBothEndsFollowXensLayout() {
    SplitDevice vif = new SplitDevice("vif", DomId.of(7), 1, DomId.DOM0);
    assertEquals("/local/domain/0/backend/vif/7/1", vif.backendPath());
    assertEquals("/local/domain/7/device/vif/1", vif.frontendPath());
  }

  @Test
  void virtualDiskNamesGetTheDeviceNumbersOfVbdInterfaceTxt() {
    assertEquals(Optional.of(51712), SplitDevice.vbdDevid("xvda"));
    assertEquals(Optional.of(51728), SplitDevice.vbdDevid("xvdb"));
    assertEquals(Optional.of(51729), SplitDevice.vbdDevid("xvdb1"));
    assertEquals(Optional.of((1 << 28) | (16 << 8)), SplitDevice.vbdDevid("xvdq"));
    assertEquals(Optional.of((1 << 28) | (26 << 8)), SplitDevice.vbdDevid("xvdaa"));
    assertEquals(Optional.of(768), SplitDevice.vbdDevid("hda"));
    assertEquals(Optional.of(5632 + 64), SplitDevice.vbdDevid("hdd"));
    assertEquals(Optional.of(2048 + 16 + 2), SplitDevice.vbdDevid("sdb2"));
    assertEquals(Optional.empty(), SplitDevice.vbdDevid("vda"));
    assertEquals(Optional.empty(), SplitDevice.vbdDevid("hde"));
  }

  @Test
  void xenbusStatesParseFromTheirNumbers() {
    assertEquals(Optional.of(XenbusState.CONNECTED), XenbusState.parse("4"));
    assertEquals(Optional.empty(), XenbusState.parse("x"));
    assertEquals(Optional.empty(), XenbusState.parse("9"));
  }
}
