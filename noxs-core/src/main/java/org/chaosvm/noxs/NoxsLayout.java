package org.chaosvm.noxs;

import java.nio.ByteBuffer;

/**
 * The byte layout of the noxs structs (fixed-width fields, little-endian on x86): each struct's
 * size and each member's offset and size, under their C names, checked by the ABI test against the
 * patched Xen's headers. The codecs read and write through these and nothing else.
 */
final class NoxsLayout {
  private NoxsLayout() {}

  enum Struct {
    XEN_DEVCTL("xen_devctl", 664),
    NOXS_DEV_ENTRY("noxs_dev_entry", 20),
    NOXS_DEV_KEY("noxs_dev_key", 12),
    NOXS_DEV_PAGE("noxs_dev_page", 656),
    NOXS_CTRL_HDR("noxs_ctrl_hdr", 8),
    NOXS_CONTROL_PAGE("noxs_control_page", 24),
    NOXS_VIF_PAGE("noxs_vif_page", 40),
    NOXS_NETBACK_KEY("noxs_netback_key", 8),
    NOXS_NETBACK_CREATE("noxs_netback_create", 32),
    NOXS_NETBACK_CONFIGURE("noxs_netback_configure", 32),
    NOXS_NETBACK_LIST("noxs_netback_list", 8 + 8 * 1024),
    NOXS_NETBACK_STATE("noxs_netback_state", 16);

    final String cName;
    final int size;

    Struct(String cName, int size) {
      this.cName = cName;
      this.size = size;
    }
  }

  enum Member {
    DEVCTL_VERSION(Struct.XEN_DEVCTL, "version", 0, 4),
    DEVCTL_CMD(Struct.XEN_DEVCTL, "cmd", 4, 4),
    DEVCTL_DOMAIN(Struct.XEN_DEVCTL, "domain", 8, 2),
    DEVCTL_PAD(Struct.XEN_DEVCTL, "pad", 10, 6),
    DEVCTL_GET_FRAME(Struct.XEN_DEVCTL, "u.get.frame", 16, 8),
    DEVCTL_ADD(Struct.XEN_DEVCTL, "u.add", 16, 20),
    DEVCTL_REMOVE(Struct.XEN_DEVCTL, "u.remove", 16, 12),
    DEVCTL_ENUMERATE_COUNT(Struct.XEN_DEVCTL, "u.enumerate.count", 16, 4),
    DEVCTL_ENUMERATE_DEVS(Struct.XEN_DEVCTL, "u.enumerate.devs", 24, 640),

    ENTRY_TYPE(Struct.NOXS_DEV_ENTRY, "type", 0, 4),
    ENTRY_DEVID(Struct.NOXS_DEV_ENTRY, "devid", 4, 4),
    ENTRY_BE_ID(Struct.NOXS_DEV_ENTRY, "be_id", 8, 2),
    ENTRY_PAD(Struct.NOXS_DEV_ENTRY, "pad", 10, 2),
    ENTRY_GRANT(Struct.NOXS_DEV_ENTRY, "grant", 12, 4),
    ENTRY_EVTCHN(Struct.NOXS_DEV_ENTRY, "evtchn", 16, 4),

    KEY_TYPE(Struct.NOXS_DEV_KEY, "type", 0, 4),
    KEY_DEVID(Struct.NOXS_DEV_KEY, "devid", 4, 4),
    KEY_BE_ID(Struct.NOXS_DEV_KEY, "be_id", 8, 2),
    KEY_PAD(Struct.NOXS_DEV_KEY, "pad", 10, 2),

    PAGE_VERSION(Struct.NOXS_DEV_PAGE, "version", 0, 4),
    PAGE_DEV_COUNT(Struct.NOXS_DEV_PAGE, "dev_count", 4, 4),
    PAGE_GENERATION(Struct.NOXS_DEV_PAGE, "generation", 8, 4),
    PAGE_PAD(Struct.NOXS_DEV_PAGE, "pad", 12, 4),
    PAGE_DEVS(Struct.NOXS_DEV_PAGE, "devs", 16, 640),

    HDR_BE_STATE(Struct.NOXS_CTRL_HDR, "be_state", 0, 4),
    HDR_FE_STATE(Struct.NOXS_CTRL_HDR, "fe_state", 4, 4),

    CONTROL_BE_STATE(Struct.NOXS_CONTROL_PAGE, "hdr.be_state", 0, 4),
    CONTROL_FE_STATE(Struct.NOXS_CONTROL_PAGE, "hdr.fe_state", 4, 4),
    CONTROL_REQUEST(Struct.NOXS_CONTROL_PAGE, "request", 8, 4),
    CONTROL_REQUEST_ID(Struct.NOXS_CONTROL_PAGE, "request_id", 12, 4),
    CONTROL_ANSWER_ID(Struct.NOXS_CONTROL_PAGE, "answer_id", 16, 4),
    CONTROL_FEATURES(Struct.NOXS_CONTROL_PAGE, "features", 20, 4),

    VIF_MAC(Struct.NOXS_VIF_PAGE, "mac", 8, 6),
    VIF_MTU(Struct.NOXS_VIF_PAGE, "mtu", 14, 2),
    VIF_EVTCHN(Struct.NOXS_VIF_PAGE, "evtchn", 32, 4),
    VIF_ERROR(Struct.NOXS_VIF_PAGE, "error", 36, 4),

    NETBACK_KEY_DOMID(Struct.NOXS_NETBACK_KEY, "domid", 0, 2),
    NETBACK_KEY_PAD(Struct.NOXS_NETBACK_KEY, "pad", 2, 2),
    NETBACK_KEY_DEVID(Struct.NOXS_NETBACK_KEY, "devid", 4, 4),
    NETBACK_CREATE_KEY(Struct.NOXS_NETBACK_CREATE, "key", 0, 8),
    NETBACK_CREATE_GRANT(Struct.NOXS_NETBACK_CREATE, "grant", 8, 4),
    NETBACK_CREATE_EVTCHN(Struct.NOXS_NETBACK_CREATE, "evtchn", 12, 4),
    NETBACK_CREATE_IFNAME(Struct.NOXS_NETBACK_CREATE, "ifname", 16, 16),
    NETBACK_CONFIGURE_KEY(Struct.NOXS_NETBACK_CONFIGURE, "key", 0, 8),
    NETBACK_CONFIGURE_MAC(Struct.NOXS_NETBACK_CONFIGURE, "mac", 8, 6),
    NETBACK_CONFIGURE_MTU(Struct.NOXS_NETBACK_CONFIGURE, "mtu", 14, 2),
    NETBACK_CONFIGURE_CREDIT_BYTES(Struct.NOXS_NETBACK_CONFIGURE, "credit_bytes", 16, 8),
    NETBACK_CONFIGURE_CREDIT_USEC(Struct.NOXS_NETBACK_CONFIGURE, "credit_usec", 24, 8),
    NETBACK_LIST_COUNT(Struct.NOXS_NETBACK_LIST, "count", 0, 4),
    NETBACK_LIST_KEYS(Struct.NOXS_NETBACK_LIST, "keys", 8, 8 * 1024),
    NETBACK_STATE_KEY(Struct.NOXS_NETBACK_STATE, "key", 0, 8),
    NETBACK_STATE_BE(Struct.NOXS_NETBACK_STATE, "be_state", 8, 4),
    NETBACK_STATE_FE(Struct.NOXS_NETBACK_STATE, "fe_state", 12, 4);

    final Struct struct;
    final String cName;
    final int offset;
    final int size;

    Member(Struct struct, String cName, int offset, int size) {
      this.struct = struct;
      this.cName = cName;
      this.offset = offset;
      this.size = size;
    }

    int getInt(ByteBuffer bytes, int base) {
      return switch (size) {
        case 2 -> Short.toUnsignedInt(bytes.getShort(base + offset));
        case 4 -> bytes.getInt(base + offset);
        default -> throw new IllegalStateException(this + " is not an int");
      };
    }

    void putInt(ByteBuffer bytes, int base, int value) {
      switch (size) {
        case 2 -> bytes.putShort(base + offset, (short) value);
        case 4 -> bytes.putInt(base + offset, value);
        default -> throw new IllegalStateException(this + " is not an int");
      }
    }
  }
}
