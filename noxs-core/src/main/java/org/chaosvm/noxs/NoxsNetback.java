package org.chaosvm.noxs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.chaosvm.libxc.DeviceFile;
import org.chaosvm.libxc.DomId;

/**
 * noxs's netback in Dom0 (the xen-netback-noxs module of kernel-patches/linux), through its device
 * {@code /dev/xen/noxs-netback}: vifs whose settings come from a noxs control page instead of
 * XenStore. {@link #create} makes a vif's interface, control page and event channel, for the
 * domain's device page; {@link #configure} gives it the MAC, MTU and rate the toolstack owns (kept
 * in Dom0's memory, only ever written to the page); {@link #destroy} removes it. Failures are
 * {@code XenException}s named after the ioctl, with the module's errno.
 */
public final class NoxsNetback implements AutoCloseable {
  public static final Path DEVICE = Path.of("/dev/xen/noxs-netback");

  /** What chaos says where a noxs vif is asked for and the module is not loaded. */
  public static final String NO_MODULE =
      "Dom0 has no noxs netback (no "
          + DEVICE
          + "): load the xen-netback-noxs module of kernel-patches/linux (docs/noxs.md)";

  /** One vif of the module's. */
  public record Vif(DomId domid, int devid) {}

  /**
   * A vif's states, XenbusState values: the back end's as the module holds it, the front end's as
   * the module last read it from the guest's page (the guest's word: any value).
   */
  public record States(int backend, int frontend) {}

  /** A new vif: what goes in the domain's device page, and its interface in Dom0. */
  public record Created(int grant, int evtchn, String ifname) {
    /** The vif's entry for the device page. */
    public DeviceEntry entry(int devid) {
      return new DeviceEntry(DeviceType.VIF, devid, DomId.DOM0, grant, evtchn);
    }
  }

  private final DeviceFile device;

  private NoxsNetback(DeviceFile device) {
    this.device = device;
  }

  /** Whether the module is loaded here. */
  public static boolean available() {
    return Files.exists(DEVICE);
  }

  public static NoxsNetback open() {
    return new NoxsNetback(DeviceFile.open(DEVICE));
  }

  /** A vif for {@code devid} of the domain: EEXIST if it has one. */
  public Created create(DomId domid, int devid) {
    ByteBuffer bytes = buffer(NoxsLayout.Struct.NOXS_NETBACK_CREATE);
    putKey(bytes, NoxsLayout.Member.NETBACK_CREATE_KEY.offset, domid, devid);
    device.ioctl("ioctl(NOXS_NETBACK_CREATE)", NoxsAbi.NOXS_NETBACK_CREATE, bytes, domid);
    byte[] name = new byte[NoxsLayout.Member.NETBACK_CREATE_IFNAME.size];
    bytes.get(NoxsLayout.Member.NETBACK_CREATE_IFNAME.offset, name);
    int length = 0;
    while (length < name.length && name[length] != 0) {
      length++;
    }
    return new Created(
        NoxsLayout.Member.NETBACK_CREATE_GRANT.getInt(bytes, 0),
        NoxsLayout.Member.NETBACK_CREATE_EVTCHN.getInt(bytes, 0),
        new String(name, 0, length, StandardCharsets.US_ASCII));
  }

  /**
   * The vif's MAC (6 bytes), MTU (0: 1500) and rate ({@code creditBytes} every {@code
   * creditMicros}; 0 and 0: unlimited), read by the back end when the guest connects.
   */
  public void configure(
      DomId domid, int devid, byte[] mac, int mtu, long creditBytes, long creditMicros) {
    if (mac.length != NoxsLayout.Member.NETBACK_CONFIGURE_MAC.size) {
      throw new IllegalArgumentException("a MAC has 6 bytes, not " + mac.length);
    }
    ByteBuffer bytes = buffer(NoxsLayout.Struct.NOXS_NETBACK_CONFIGURE);
    putKey(bytes, NoxsLayout.Member.NETBACK_CONFIGURE_KEY.offset, domid, devid);
    bytes.put(NoxsLayout.Member.NETBACK_CONFIGURE_MAC.offset, mac);
    NoxsLayout.Member.NETBACK_CONFIGURE_MTU.putInt(bytes, 0, mtu);
    bytes.putLong(NoxsLayout.Member.NETBACK_CONFIGURE_CREDIT_BYTES.offset, creditBytes);
    bytes.putLong(NoxsLayout.Member.NETBACK_CONFIGURE_CREDIT_USEC.offset, creditMicros);
    device.ioctl("ioctl(NOXS_NETBACK_CONFIGURE)", NoxsAbi.NOXS_NETBACK_CONFIGURE, bytes, domid);
  }

  /** Removes one vif: its interface goes, its page once the guest has let go. ENOENT if none. */
  public void destroy(DomId domid, int devid) {
    ByteBuffer bytes = buffer(NoxsLayout.Struct.NOXS_NETBACK_KEY);
    putKey(bytes, 0, domid, devid);
    device.ioctl("ioctl(NOXS_NETBACK_DESTROY)", NoxsAbi.NOXS_NETBACK_DESTROY, bytes, domid);
  }

  /** Removes every vif of the domain. ENOENT if it has none. */
  public void destroyAll(DomId domid) {
    destroy(domid, NoxsAbi.NOXS_NETBACK_ALL);
  }

  /** Every vif the module has, by domain then devid. */
  public List<Vif> list() {
    ByteBuffer bytes = buffer(NoxsLayout.Struct.NOXS_NETBACK_LIST);
    device.ioctl("ioctl(NOXS_NETBACK_LIST)", NoxsAbi.NOXS_NETBACK_LIST, bytes, null);
    int count =
        Math.min(
            NoxsLayout.Member.NETBACK_LIST_COUNT.getInt(bytes, 0), NoxsAbi.NOXS_NETBACK_LIST_MAX);
    List<Vif> vifs = new ArrayList<>(count);
    int size = NoxsLayout.Struct.NOXS_NETBACK_KEY.size;
    for (int i = 0; i < count; i++) {
      int base = NoxsLayout.Member.NETBACK_LIST_KEYS.offset + i * size;
      vifs.add(
          new Vif(
              DomId.of(NoxsLayout.Member.NETBACK_KEY_DOMID.getInt(bytes, base)),
              NoxsLayout.Member.NETBACK_KEY_DEVID.getInt(bytes, base)));
    }
    return vifs;
  }

  /** The vif's states; fails (ENOENT) if the module has no such vif. */
  public States states(DomId domid, int devid) {
    ByteBuffer bytes = buffer(NoxsLayout.Struct.NOXS_NETBACK_STATE);
    putKey(bytes, NoxsLayout.Member.NETBACK_STATE_KEY.offset, domid, devid);
    device.ioctl("ioctl(NOXS_NETBACK_STATE)", NoxsAbi.NOXS_NETBACK_STATE, bytes, domid);
    return new States(
        NoxsLayout.Member.NETBACK_STATE_BE.getInt(bytes, 0),
        NoxsLayout.Member.NETBACK_STATE_FE.getInt(bytes, 0));
  }

  private static ByteBuffer buffer(NoxsLayout.Struct struct) {
    return ByteBuffer.allocate(struct.size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void putKey(ByteBuffer bytes, int base, DomId domid, int devid) {
    NoxsLayout.Member.NETBACK_KEY_DOMID.putInt(bytes, base, domid.value());
    NoxsLayout.Member.NETBACK_KEY_DEVID.putInt(bytes, base, devid);
  }

  @Override
  public void close() {
    device.close();
  }
}
