package org.chaosvm.daemon.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.EventChannels;
import org.chaosvm.libxc.GrantShare;
import org.chaosvm.libxc.PvBuild;
import org.chaosvm.libxc.XenException;
import org.chaosvm.noxs.ControlDevice;
import org.chaosvm.noxs.ControlRequest;
import org.chaosvm.noxs.Devctl;
import org.chaosvm.noxs.DeviceKey;
import org.chaosvm.noxs.DeviceType;
import org.chaosvm.noxs.GuestControlException;
import org.chaosvm.protocol.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * noxs's way (docs/noxs.md): no XenStore at all. A shell gets its control device in the prepare
 * phase (a page granted from the daemon and an event channel, announced in the domain's device page
 * through devctl); the guest's record is a file of {@link NoxsRecords}; requests to the guest go
 * through the control device, with a time limit; its console is served by {@link NoxsConsoles}. Its
 * vifs are xen-netback-noxs's ({@link NoxsDevices}); disks over noxs come later.
 */
final class NoxsMechanism implements Mechanism {
  private static final Logger log = LoggerFactory.getLogger(NoxsMechanism.class);

  /** How long a guest has to take a request from its control device. */
  static final Duration ANSWER_LIMIT = Duration.ofSeconds(5);

  private final XenHandles handles;
  private final NoxsRecords records;
  private final NoxsConsoles consoles;
  private final Map<DomId, ControlDevice> controls = new ConcurrentHashMap<>();

  /** The records of held guests (a migration's incoming ones), written again once they run. */
  private final Map<DomId, NoxsRecords.Entry> heldEntries = new ConcurrentHashMap<>();

  private final NoxsDevices devices = new NoxsDevices(this::openDevctl);
  private Devctl devctl;
  private GrantShare grants;
  private EventChannels events;
  private boolean unsupported;

  NoxsMechanism(XenHandles handles, Path stateDir, Path logDir) {
    this.handles = handles;
    this.records = new NoxsRecords(stateDir.resolve("noxs"));
    this.consoles = new NoxsConsoles(logDir.resolve("console"));
  }

  @Override
  public DeviceMechanism kind() {
    return DeviceMechanism.NOXS;
  }

  /**
   * Opens the Xen handles noxs needs, once; refuses on a hypervisor without the devctl hypercall.
   * Guests' own events on their control channels need no reading (requests wait for the answer in
   * the page), so nothing reads {@code events}: the evtchn device queues each port once.
   */
  private synchronized void open() {
    if (unsupported) {
      throw new ChaosException(ErrorCode.XEN, Devctl.NO_SUPPORT);
    }
    if (devctl != null) {
      return;
    }
    Devctl opened = Devctl.open();
    if (!opened.supported()) {
      opened.close();
      unsupported = true;
      throw new ChaosException(ErrorCode.XEN, Devctl.NO_SUPPORT);
    }
    try {
      records.check();
    } catch (RuntimeException e) {
      opened.close();
      throw e;
    }
    devctl = opened;
    grants = GrantShare.open();
    events = EventChannels.open();
    consoles.start(); // now, not at the first create
  }

  private synchronized Devctl openDevctl() {
    open();
    return devctl;
  }

  @Override
  public void requireAvailable() {
    open();
  }

  @Override
  public void check(GuestConfig guest) {
    open();
    devices.check(guest);
    DeviceChecks.check(guest);
  }

  /**
   * None: a noxs guest has no XenStore, and one that finds a channel waits for a store that never
   * answers (a Linux guest's xenbus would, at boot).
   */
  @Override
  public boolean xenstoreChannel() {
    return false;
  }

  /** Nothing to write: a shell's handle says it is one ({@link DomainLayout#shellHandle}). */
  @Override
  public void markShell(DomId domid) {}

  /**
   * The control device, the console's channel bound and the record's file made: what a create would
   * otherwise spend system calls on (each a fraction of a millisecond under the rig's emulation). A
   * failure here has the factory destroy the shell, and {@link #removeRemains} undo each.
   */
  @Override
  public void prepare(PvBuild.Prepared domain) {
    addControlDevice(domain.domid());
    devices.prepare(domain.domid());
    consoles.prepare(domain.domid(), domain.consolePort());
    records.reserve(domain.domid());
  }

  private void addControlDevice(DomId domid) {
    open();
    ControlDevice device = ControlDevice.create(grants, events, domid);
    try {
      devctl.add(domid, device.entry());
    } catch (RuntimeException e) {
      device.close();
      throw e;
    }
    controls.put(domid, device);
  }

  /**
   * Nothing to write: until {@link #describe} records the guest, the domain keeps its shell's
   * handle, and a restarted daemon destroys it as a shell. One record write per create, not two.
   */
  @Override
  public void markBuilding(DomId domid, String name, UUID uuid) {}

  @Override
  public void describe(
      Shell shell,
      GuestConfig guest,
      UUID uuid,
      String configText,
      PvBuild.Rings rings,
      boolean held,
      Phases phases) {
    NoxsRecords.Entry entry =
        new NoxsRecords.Entry(
            shell.domid().value(),
            uuid.toString(),
            guest.name(),
            held ? NoxsRecords.STATE_BUILDING : NoxsRecords.STATE_RUNNING,
            guest.onPoweroff().xlName(),
            guest.onReboot().xlName(),
            guest.onCrash().xlName(),
            configText,
            shell.consolePort(),
            rings.consoleMfn());
    records.write(entry); // into the file made in the prepare phase
    if (held) {
      heldEntries.put(shell.domid(), entry);
    }
    // After the record: a daemon killed in between finds a record whose handle is not yet the
    // domain's, drops it and destroys the domain as the shell it still is (recover).
    shell.takeHandle(handles.xc(), uuid);
    phases.end("record");
    consoles.attach(shell.domid(), guest.name(), rings.consoleMfn(), shell.consolePort());
    phases.end("console");
  }

  @Override
  public void confirm(Guest held, String name, UUID uuid) {
    NoxsRecords.Entry entry = heldEntries.remove(held.domid());
    if (entry == null) {
      throw new IllegalStateException("domain " + held.domid() + " is not a held noxs guest");
    }
    records.write(entry.confirmed(name, uuid.toString()));
  }

  @Override
  public DeviceBackend devices() {
    return devices;
  }

  @Override
  public GuestControl control() {
    return this::ask;
  }

  @Override
  public GuestConsole console() {
    return consoles;
  }

  private void ask(DomId domid, GuestControl.Request request) {
    ControlDevice device = controls.get(domid);
    if (device == null) {
      throw new ChaosException(
          ErrorCode.WRONG_STATE, "domain " + domid + " has no noxs control device");
    }
    try {
      device.request(ControlRequest.valueOf(request.name()), ANSWER_LIMIT);
    } catch (GuestControlException e) {
      throw new ChaosException(ErrorCode.WRONG_STATE, e.getMessage(), e);
    }
  }

  @Override
  public void removeRemains(DomId domid, Optional<UUID> uuid) {
    consoles.detach(domid);
    devices.removeAll(domid);
    ControlDevice device = controls.remove(domid);
    if (device != null) {
      device.close();
    }
    records.remove(domid);
    heldEntries.remove(domid);
  }

  /**
   * At a daemon's start, before XenStore's domains are looked at: adopts the noxs guests the
   * records say are running (with a new control device, announced in place of the dead daemon's),
   * destroys the domains a record says were being built and the shells whose record is empty (half
   * built guests among them), and drops the records of domains that are gone. Returns the domains
   * it dealt with.
   */
  Set<DomId> recover(
      Map<DomId, DomainInfo> domains,
      Consumer<Guest> adopt,
      BiConsumer<DomId, Optional<UUID>> destroy) {
    Set<DomId> claimed = new HashSet<>();
    try {
      devices.removeOrphans(domains.keySet());
    } catch (RuntimeException e) {
      log.warn("cannot remove the noxs vifs of domains that are gone: {}", e.getMessage());
    }
    NoxsRecords.Contents contents;
    try {
      contents = records.readAll();
    } catch (RuntimeException e) {
      log.warn("cannot read the noxs records: {}", e.getMessage());
      return claimed;
    }
    for (DomId domid : contents.unwritten()) {
      DomainInfo info = domains.get(domid);
      if (info == null || !DomainLayout.isShellHandle(info.handle())) {
        records.remove(domid); // gone (a new domain may have its number)
        continue;
      }
      claimed.add(domid);
      log.info(
          "destroying domain {}, a shell by its handle that an earlier daemon left (noxs)", domid);
      destroy.accept(domid, Optional.of(info.handle()));
    }
    for (NoxsRecords.Entry entry : contents.entries()) {
      DomId domid = DomId.of(entry.domid());
      UUID uuid = UUID.fromString(entry.uuid());
      DomainInfo info = domains.get(domid);
      if (info == null || !info.handle().equals(uuid)) {
        records.remove(domid); // the domain is gone; a new one may have its number
        continue;
      }
      claimed.add(domid);
      if (!entry.state().equals(NoxsRecords.STATE_RUNNING)) {
        log.info("destroying domain {} left {} by an earlier daemon", domid, entry.state());
        destroy.accept(domid, Optional.of(uuid));
        continue;
      }
      try {
        reconnect(domid);
      } catch (ChaosException | XenException e) {
        log.warn("{} (domain {}) keeps no control device: {}", entry.name(), domid, e.getMessage());
      }
      try {
        // Its console served again, and the guest signalled: it wakes and finds the new device.
        consoles.reattach(domid, entry.name(), entry.consoleFrame(), entry.consolePort());
      } catch (ChaosException | XenException e) {
        log.warn("cannot serve {}'s console again: {}", entry.name(), e.getMessage());
      }
      Guest guest =
          Guest.adopted(
              domid,
              uuid,
              entry.name(),
              entry.config(),
              Optional.of(entry.onPoweroff()),
              Optional.of(entry.onReboot()),
              Optional.of(entry.onCrash()),
              DeviceMechanism.NOXS);
      guest.config().ifPresent(config -> devices.adopt(domid, config));
      adopt.accept(guest);
      log.info("adopted {} (domain {}, noxs)", entry.name(), domid);
    }
    return claimed;
  }

  /** A new control device for an adopted guest, in its device page in place of the old one. */
  private void reconnect(DomId domid) {
    open();
    try {
      devctl.remove(domid, new DeviceKey(DeviceType.CONTROL, 0, DomId.DOM0));
    } catch (XenException e) {
      // none there: nothing to replace
    }
    addControlDevice(domid);
  }

  /** Guests keep running: their control devices end with this daemon (a restart makes new ones). */
  @Override
  public synchronized void close() {
    consoles.close();
    devices.close();
    controls.values().forEach(ControlDevice::close);
    controls.clear();
    if (devctl != null) {
      events.close();
      grants.close();
      devctl.close();
      devctl = null;
    }
  }
}
