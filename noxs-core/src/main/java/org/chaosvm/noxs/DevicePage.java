package org.chaosvm.noxs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A domain's device page as its bytes say ({@code struct noxs_dev_page}): the layout version, the
 * generation Xen bumps around each change (odd while one is under way), and the devices in the
 * order they were added.
 */
public record DevicePage(int version, int generation, List<DeviceEntry> devices) {
  /** Entries a page holds ({@code NOXS_DEV_COUNT_MAX}). */
  public static final int MAX_ENTRIES = NoxsAbi.NOXS_DEV_COUNT_MAX;

  public DevicePage {
    devices = List.copyOf(devices);
  }

  /** True while Xen is changing the page: a copy read then may be torn. */
  public boolean changing() {
    return (generation & 1) != 0;
  }

  /**
   * Reads a page from its first bytes (at least the struct's size), refusing what Xen never writes.
   */
  public static DevicePage decode(ByteBuffer page) {
    ByteBuffer bytes = page.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.remaining() < NoxsLayout.Struct.NOXS_DEV_PAGE.size) {
      throw new IllegalArgumentException(
          "a device page has "
              + NoxsLayout.Struct.NOXS_DEV_PAGE.size
              + " bytes, not "
              + bytes.remaining());
    }
    int base = bytes.position();
    int version = NoxsLayout.Member.PAGE_VERSION.getInt(bytes, base);
    if (version != NoxsAbi.NOXS_DEV_PAGE_VERSION) {
      throw new IllegalArgumentException(
          "device page version " + version + " is not " + NoxsAbi.NOXS_DEV_PAGE_VERSION);
    }
    int count = NoxsLayout.Member.PAGE_DEV_COUNT.getInt(bytes, base);
    int generation = NoxsLayout.Member.PAGE_GENERATION.getInt(bytes, base);
    return new DevicePage(
        version, generation, entries(bytes, base + NoxsLayout.Member.PAGE_DEVS.offset, count));
  }

  /** {@code count} entries from {@code base} on, as a page and an enumeration lay them out. */
  static List<DeviceEntry> entries(ByteBuffer bytes, int base, int count) {
    if (count < 0 || count > NoxsAbi.NOXS_DEV_COUNT_MAX) {
      throw new IllegalArgumentException(
          count + " devices: a device page holds at most " + NoxsAbi.NOXS_DEV_COUNT_MAX);
    }
    List<DeviceEntry> devices = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      devices.add(DeviceEntry.decode(bytes, base + i * NoxsLayout.Struct.NOXS_DEV_ENTRY.size));
    }
    return devices;
  }
}
