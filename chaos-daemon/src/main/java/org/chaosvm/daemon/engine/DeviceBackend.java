package org.chaosvm.daemon.engine;

import java.util.List;
import java.util.Set;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.libxc.DomId;
import org.chaosvm.protocol.DeviceKind;
import org.chaosvm.protocol.Reply;

/**
 * One mechanism by which guests get their network interfaces and disks: how the two ends of a
 * device find each other and agree on it (today XenStore's split-driver protocol, {@link
 * XenStoreDevices}; noxs's device page next). What Dom0 does for a device whatever the mechanism
 * (the vif's interface on its bridge, a disk's loop device) is shared plumbing: {@link
 * VifPlumbing}, {@link DiskPlumbing}, {@link DeviceChecks}. The engine never asks which mechanism
 * it has.
 */
interface DeviceBackend {
  /** The prepare phase's share, before the guest is known: whatever needs only the domid. */
  void prepare(DomId domid);

  /**
   * The execute phase's share: the guest's devices, as its config lists them, set going; {@link
   * #awaitReady} then waits for their back ends.
   */
  void attachAll(DomId domid, GuestConfig guest);

  /**
   * Returns once every back end of the guest is ready for its front end (the guest may then run);
   * throws naming a device whose back end failed or is still not ready after a bounded while.
   */
  void awaitReady(DomId domid);

  /**
   * Attaches a vif to a running guest with the next free devid, its back end ready on return; says
   * which, e.g. "vif 1 (vif5.1)", with its interface's name in Dom0.
   */
  String attachVif(DomId domid, String guestName, VifSpec vif);

  /**
   * Attaches a disk to a running guest, its back end ready on return; one whose back end fails is
   * removed again.
   */
  void attachDisk(DomId domid, DiskSpec disk);

  /**
   * Detaches one device of a running guest ({@code which}: a devid, a vif's MAC, a disk's vdev),
   * after the guest has let go of it unless {@code force}; the device's name.
   */
  String detach(DomId domid, DeviceKind kind, String which, boolean force);

  /** The guest's devices of a kind. */
  List<Reply.DeviceInfo> list(DomId domid, DeviceKind kind);

  /**
   * Removes every device of a domain that is gone or being destroyed, and waits (a bounded while)
   * until Dom0 has let go of them. Safe for a domain that has none.
   */
  void removeAll(DomId domid);

  /** At a daemon's start: removes the devices of domains that are not in {@code live}. */
  void removeOrphans(Set<DomId> live);
}
