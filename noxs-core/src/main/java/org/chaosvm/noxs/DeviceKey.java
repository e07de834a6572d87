package org.chaosvm.noxs;

import java.nio.ByteBuffer;
import java.util.Locale;
import org.chaosvm.libxc.DomId;

/** What names one entry of a device page: no page holds two entries with one key. */
public record DeviceKey(DeviceType type, int devid, DomId backend) {
  public DeviceKey {
    if (devid < 0) {
      throw new IllegalArgumentException("a device id is not negative: " + devid);
    }
  }

  /** {@code struct noxs_dev_key} at {@code base}. */
  void encode(ByteBuffer bytes, int base) {
    NoxsLayout.Member.KEY_TYPE.putInt(bytes, base, type.number());
    NoxsLayout.Member.KEY_DEVID.putInt(bytes, base, devid);
    NoxsLayout.Member.KEY_BE_ID.putInt(bytes, base, backend.value());
    NoxsLayout.Member.KEY_PAD.putInt(bytes, base, 0);
  }

  @Override
  public String toString() {
    return type.name().toLowerCase(Locale.ROOT)
        + " "
        + devid
        + " (back end: domain "
        + backend
        + ")";
  }
}
