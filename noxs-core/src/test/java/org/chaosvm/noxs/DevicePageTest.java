package org.chaosvm.noxs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.chaosvm.libxc.DomId;
import org.junit.jupiter.api.Test;

class DevicePageTest {
  private static final DeviceEntry CONTROL =
      new DeviceEntry(DeviceType.CONTROL, 0, DomId.DOM0, 8, 17);
  private static final DeviceEntry VIF = new DeviceEntry(DeviceType.VIF, 1, DomId.of(3), 9, 40000);

  @Test
  void decodesTheEntriesXenWroteInTheirOrder() {
    DevicePage page = DevicePage.decode(page(1, 4, List.of(CONTROL, VIF)));

    assertEquals(1, page.version());
    assertEquals(4, page.generation());
    assertFalse(page.changing());
    assertEquals(List.of(CONTROL, VIF), page.devices());
  }

  @Test
  void anOddGenerationIsAChangeUnderWay() {
    assertTrue(DevicePage.decode(page(1, 5, List.of(CONTROL))).changing());
  }

  @Test
  void entriesRoundTripThroughTheirEncoding() {
    ByteBuffer bytes = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    VIF.encode(bytes, 8);

    assertEquals(VIF, DeviceEntry.decode(bytes, 8));
    assertEquals(VIF.key(), new DeviceKey(DeviceType.VIF, 1, DomId.of(3)));
  }

  @Test
  void refusesAnotherLayoutVersionACountPastTheMaximumAndAShortPage() {
    IllegalArgumentException version =
        assertThrows(
            IllegalArgumentException.class, () -> DevicePage.decode(page(2, 0, List.of())));
    assertEquals("device page version 2 is not 1", version.getMessage());

    ByteBuffer tooMany = page(1, 0, List.of());
    NoxsLayout.Member.PAGE_DEV_COUNT.putInt(tooMany, 0, 33);
    IllegalArgumentException count =
        assertThrows(IllegalArgumentException.class, () -> DevicePage.decode(tooMany));
    assertEquals("33 devices: a device page holds at most 32", count.getMessage());

    assertThrows(IllegalArgumentException.class, () -> DevicePage.decode(ByteBuffer.allocate(100)));
  }

  @Test
  void refusesADeviceTypeThisVersionDoesNotKnow() {
    assertEquals(DeviceType.VBD, DeviceType.of(4));
    IllegalArgumentException none =
        assertThrows(IllegalArgumentException.class, () -> DeviceType.of(0));
    assertEquals("not a noxs device type: 0", none.getMessage());
  }

  private static ByteBuffer page(int version, int generation, List<DeviceEntry> devices) {
    ByteBuffer bytes = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
    NoxsLayout.Member.PAGE_VERSION.putInt(bytes, 0, version);
    NoxsLayout.Member.PAGE_DEV_COUNT.putInt(bytes, 0, devices.size());
    NoxsLayout.Member.PAGE_GENERATION.putInt(bytes, 0, generation);
    for (int i = 0; i < devices.size(); i++) {
      devices.get(i).encode(bytes, NoxsLayout.Member.PAGE_DEVS.offset + i * 20);
    }
    return bytes;
  }
}
