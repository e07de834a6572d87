package org.chaosvm.daemon.engine;

import java.util.List;
import java.util.Set;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.libxc.DomId;
import org.chaosvm.protocol.DeviceKind;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Reply;

/**
 * A noxs guest's vifs and disks: none yet (their back ends over the device page are the next part
 * of noxs). Every request for one is refused, saying so; there is never anything to remove.
 */
final class NoxsDevices implements DeviceBackend {
  @Override
  public void prepare(DomId domid) {}

  @Override
  public void attachAll(DomId domid, GuestConfig guest) {
    if (!guest.vifs().isEmpty() || !guest.disks().isEmpty()) {
      throw none();
    }
  }

  @Override
  public void awaitReady(DomId domid) {}

  @Override
  public String attachVif(DomId domid, String guestName, VifSpec vif) {
    throw none();
  }

  @Override
  public void attachDisk(DomId domid, DiskSpec disk) {
    throw none();
  }

  @Override
  public String detach(DomId domid, DeviceKind kind, String which, boolean force) {
    throw none();
  }

  @Override
  public List<Reply.DeviceInfo> list(DomId domid, DeviceKind kind) {
    return List.of();
  }

  @Override
  public void removeAll(DomId domid) {}

  @Override
  public void removeOrphans(Set<DomId> live) {}

  private static ChaosException none() {
    return new ChaosException(
        ErrorCode.WRONG_STATE, "a noxs guest has no vif or disk yet (docs/noxs.md)");
  }
}
