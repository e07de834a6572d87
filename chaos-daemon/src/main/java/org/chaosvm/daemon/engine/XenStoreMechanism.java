package org.chaosvm.daemon.engine;

import java.util.Optional;
import java.util.UUID;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.PvBuild;
import org.chaosvm.libxc.PvGuestNodes;

/**
 * XenStore's way, what every Xen guest understands: chaos's marks and record under the domain's
 * {@code chaos/} ({@link DomainLayout}), the PV nodes libxl writes and the introduction to
 * xenstored (and so to xenconsoled), split-driver devices ({@link XenStoreDevices}) and {@code
 * control/shutdown}.
 */
final class XenStoreMechanism implements Mechanism {
  private final XenHandles handles;
  private final XenStoreDevices devices;
  private final GuestControl control;
  private final RemovedDomains removed;

  XenStoreMechanism(XenHandles handles) {
    this.handles = handles;
    this.devices = new XenStoreDevices(handles);
    this.control = new XenStoreGuestControl(handles);
    this.removed = new RemovedDomains(handles);
  }

  /** Starts its background work ahead, for a daemon (a {@code --direct} command has none). */
  void start() {
    removed.start();
  }

  @Override
  public DeviceMechanism kind() {
    return DeviceMechanism.XENSTORE;
  }

  @Override
  public void requireAvailable() {}

  @Override
  public void check(GuestConfig guest) {
    DeviceChecks.check(guest);
  }

  /** Its guests find XenStore through it. */
  @Override
  public boolean xenstoreChannel() {
    return true;
  }

  @Override
  public void markShell(DomId domid) {
    DomainLayout.markShell(handles.xs(), domid);
  }

  @Override
  public void prepare(PvBuild.Prepared domain) {
    DomainLayout.writeAhead(handles.xs(), domain);
    devices.prepare(domain.domid());
  }

  @Override
  public void markBuilding(DomId domid, String name, UUID uuid) {
    DomainLayout.markBuilding(handles.xs(), domid, name);
  }

  @Override
  public void describe(
      Shell shell,
      GuestConfig guest,
      UUID uuid,
      String configText,
      PvBuild.Rings rings,
      boolean held,
      Phases phases) {
    shell.takeHandle(handles.xc(), uuid); // still "building" in its chaos/ node until finish
    var xs = handles.xs();
    PvGuestNodes nodes =
        new PvGuestNodes(
            shell.domid(),
            uuid,
            guest.name(),
            guest.memoryMib() * 1024L,
            guest.maxMemoryMib() * 1024L,
            guest.vcpus(),
            guest.maxVcpus(),
            rings.consoleMfn(),
            shell.consolePort(),
            rings.storeMfn(),
            shell.storePort());
    PvBuild.finish(
        xs,
        nodes,
        shell.domain(), // the shell's nodes were written in the prepare phase
        t -> DomainLayout.recordGuest(xs, t, nodes, guest, configText, held),
        phases::end);
  }

  @Override
  public void confirm(Guest held, String name, UUID uuid) {
    DomainLayout.markRunning(handles.xs(), held.domid(), name, held.uuid(), uuid);
  }

  @Override
  public DeviceBackend devices() {
    return devices;
  }

  @Override
  public GuestControl control() {
    return control;
  }

  @Override
  public GuestConsole console() {
    return GuestConsole.XENCONSOLED;
  }

  @Override
  public void removeRemains(DomId domid, Optional<UUID> uuid) {
    devices.removeAll(domid);
    DomainLayout.remove(handles.xs(), domid, uuid);
    removed.removed(domid);
  }

  @Override
  public void close() {
    removed.close();
  }
}
