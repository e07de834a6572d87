package org.chaosvm.noxs;

import java.nio.ByteBuffer;
import org.chaosvm.libxc.DomId;

/**
 * One device of a device page: its type and number, the back end's domain, and the grant reference
 * (of the control page, granted by the back end) and event channel port (in the back end, unbound
 * for the guest) the guest connects with.
 */
public record DeviceEntry(DeviceType type, int devid, DomId backend, int grant, int eventChannel) {
  public DeviceEntry {
    if (devid < 0) {
      throw new IllegalArgumentException("a device id is not negative: " + devid);
    }
  }

  public DeviceKey key() {
    return new DeviceKey(type, devid, backend);
  }

  /** {@code struct noxs_dev_entry} at {@code base}. */
  void encode(ByteBuffer bytes, int base) {
    NoxsLayout.Member.ENTRY_TYPE.putInt(bytes, base, type.number());
    NoxsLayout.Member.ENTRY_DEVID.putInt(bytes, base, devid);
    NoxsLayout.Member.ENTRY_BE_ID.putInt(bytes, base, backend.value());
    NoxsLayout.Member.ENTRY_PAD.putInt(bytes, base, 0);
    NoxsLayout.Member.ENTRY_GRANT.putInt(bytes, base, grant);
    NoxsLayout.Member.ENTRY_EVTCHN.putInt(bytes, base, eventChannel);
  }

  static DeviceEntry decode(ByteBuffer bytes, int base) {
    return new DeviceEntry(
        DeviceType.of(NoxsLayout.Member.ENTRY_TYPE.getInt(bytes, base)),
        NoxsLayout.Member.ENTRY_DEVID.getInt(bytes, base),
        DomId.of(NoxsLayout.Member.ENTRY_BE_ID.getInt(bytes, base)),
        NoxsLayout.Member.ENTRY_GRANT.getInt(bytes, base),
        NoxsLayout.Member.ENTRY_EVTCHN.getInt(bytes, base));
  }
}
