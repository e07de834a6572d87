package org.chaosvm.daemon.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.Errno;
import org.chaosvm.libxc.ThreadScheduling;
import org.chaosvm.libxc.XenException;
import org.chaosvm.noxs.Devctl;
import org.chaosvm.noxs.DeviceKey;
import org.chaosvm.noxs.DevicePage;
import org.chaosvm.noxs.DeviceType;
import org.chaosvm.noxs.NoxsNetback;
import org.chaosvm.protocol.DeviceKind;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A noxs guest's vifs (docs/noxs.md): netback's side is Dom0's xen-netback-noxs module ({@link
 * NoxsNetback}), which makes each vif's interface, control page and event channel; the vif is
 * announced in the guest's device page through devctl. As for XenStore shells, vif 0 is made in the
 * prepare phase (when the module is loaded), and the execute phase only gives it the guest's MAC,
 * MTU and rate and plugs its interface ({@link VifPlumbing}). A guest's devices are fixed at its
 * create: hot attach and detach are refused, naming noxs. Disks over noxs are to come.
 */
final class NoxsDevices implements DeviceBackend {
  private static final Logger log = LoggerFactory.getLogger(NoxsDevices.class);

  /** A device page's room, less the control device's entry. */
  static final int MAX_DEVICES = DevicePage.MAX_ENTRIES - 1;

  /** The states of a vif the module does not have. */
  private static final NoxsNetback.States NO_STATES = new NoxsNetback.States(0, 0);

  /** A vif as the daemon made it: its interface's name once plugged, its settings. */
  private record Vif(int devid, String ifname, Map<String, String> settings) {}

  private final Supplier<Devctl> devctl;
  private final Map<DomId, Map<Integer, Vif>> vifs = new ConcurrentHashMap<>();
  private NoxsNetback netback;

  /**
   * Removes the unused vif 0 of shells taken by guests without a vif, after their create: netback
   * deleting an interface takes milliseconds, which a create would otherwise wait for. Its domain's
   * {@link #removeAll} waits for (or cancels) the removal, so that a later domain of the same
   * number never loses a vif to it.
   */
  private final ExecutorService remover =
      Executors.newSingleThreadExecutor(
          task -> {
            Thread thread =
                new Thread(
                    () -> {
                      ThreadScheduling.background();
                      task.run();
                    },
                    "noxs-vif-remover");
            thread.setDaemon(true);
            return thread;
          });

  private final Map<DomId, Future<?>> removals = new ConcurrentHashMap<>();

  /** {@code devctl}: the mechanism's, opened on first use. */
  NoxsDevices(Supplier<Devctl> devctl) {
    this.devctl = devctl;
  }

  /** The module's device, opened once; empty when the module is not loaded. */
  private synchronized Optional<NoxsNetback> netback() {
    if (netback == null && NoxsNetback.available()) {
      netback = NoxsNetback.open();
    }
    return Optional.ofNullable(netback);
  }

  /** What a noxs guest's devices need beyond {@link DeviceChecks}, before anything is made. */
  void check(GuestConfig guest) {
    if (!guest.disks().isEmpty()) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "a noxs guest has no disk yet (their back end over the device page is to come:"
              + " docs/noxs.md); give this guest dev_method = \"xenstore\"");
    }
    if (guest.vifs().size() > MAX_DEVICES) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "a noxs guest has at most "
              + MAX_DEVICES
              + " vifs (its device page holds "
              + DevicePage.MAX_ENTRIES
              + " devices, one of them its control device), not "
              + guest.vifs().size());
    }
    if (!guest.vifs().isEmpty() && netback().isEmpty()) {
      throw new ChaosException(ErrorCode.XEN, NoxsNetback.NO_MODULE);
    }
  }

  /** vif 0, made and announced but not configured, when Dom0 has the module. */
  @Override
  public void prepare(DomId domid) {
    if (netback().isPresent()) {
      make(domid, 0);
    }
  }

  /** One vif's back end, announced in the domain's device page; undone if announcing fails. */
  private Vif make(DomId domid, int devid) {
    NoxsNetback back = netback().orElseThrow();
    NoxsNetback.Created created = back.create(domid, devid);
    try {
      devctl.get().add(domid, created.entry(devid));
    } catch (RuntimeException e) {
      try {
        back.destroy(domid, devid);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    Vif vif = new Vif(devid, created.ifname(), Map.of());
    vifs.computeIfAbsent(domid, d -> new ConcurrentHashMap<>()).put(devid, vif);
    return vif;
  }

  /**
   * The guest's vifs, numbered from 0 in the config's order: the shell's vif 0 (or a new one) and
   * the others made, each given its MAC, MTU and rate and plugged into its bridge; the shell's vif
   * 0 removed if the guest has none.
   */
  @Override
  public void attachAll(DomId domid, GuestConfig guest) {
    check(guest);
    for (int devid = 0; devid < guest.vifs().size(); devid++) {
      DeviceChecks.checkVifName(devid, guest.vifs().get(devid));
    }
    Map<Integer, Vif> made = vifs.getOrDefault(domid, Map.of());
    for (int devid = 0; devid < guest.vifs().size(); devid++) {
      VifSpec spec = guest.vifs().get(devid);
      Vif vif = made.containsKey(devid) ? made.get(devid) : make(domid, devid);
      String mac = VifPlumbing.mac(spec, guest.name(), devid);
      netback()
          .orElseThrow()
          .configure(
              domid,
              devid,
              macBytes(mac),
              spec.mtu().orElse(0),
              spec.rate().map(VifSpec.Rate::bytesPerInterval).orElse(0L),
              spec.rate().map(VifSpec.Rate::intervalMicros).orElse(0L));
      String name = VifPlumbing.plug(vif.ifname(), devid, spec);
      vifs.get(domid).put(devid, new Vif(devid, name, settings(spec, mac)));
    }
    if (guest.vifs().isEmpty() && made.containsKey(0)) {
      // Out of the page first: the guest never sees it. The interface goes after the create.
      devctl.get().remove(domid, new DeviceKey(DeviceType.VIF, 0, DomId.DOM0));
      made.remove(0);
      NoxsNetback back = netback().orElseThrow();
      removals.put(domid, remover.submit(() -> removeUnused(back, domid)));
    }
  }

  private static Map<String, String> settings(VifSpec spec, String mac) {
    Map<String, String> settings = new TreeMap<>();
    settings.put("mac", mac);
    settings.put("bridge", spec.bridgeOrDefault());
    spec.ip().ifPresent(ip -> settings.put("ip", ip));
    spec.mtu().ifPresent(mtu -> settings.put("mtu", Integer.toString(mtu)));
    spec.rate().ifPresent(rate -> settings.put("rate", rate.text()));
    return settings;
  }

  private void removeUnused(NoxsNetback back, DomId domid) {
    try {
      back.destroy(domid, 0);
    } catch (RuntimeException e) {
      log.warn("cannot remove domain {}'s unused vif 0: {}", domid, e.getMessage());
    }
  }

  static byte[] macBytes(String mac) {
    String[] parts = mac.split(":");
    byte[] bytes = new byte[parts.length];
    for (int i = 0; i < parts.length; i++) {
      bytes[i] = (byte) Integer.parseInt(parts[i], 16);
    }
    return bytes;
  }

  /** netback-noxs is ready for the guest from its create on. */
  @Override
  public void awaitReady(DomId domid) {}

  @Override
  public String attachVif(DomId domid, String guestName, VifSpec vif) {
    throw fixed();
  }

  @Override
  public void attachDisk(DomId domid, DiskSpec disk) {
    throw fixed();
  }

  @Override
  public String detach(DomId domid, DeviceKind kind, String which, boolean force) {
    throw fixed();
  }

  private static ChaosException fixed() {
    return new ChaosException(
        ErrorCode.WRONG_STATE,
        "a noxs guest's devices are those of its create: noxs has no hot attach or detach"
            + " (docs/noxs.md)");
  }

  /**
   * The vifs, with their settings as the daemon gave them (the page's copy is the guest's) and
   * their states as the module has them (0 and 0 for one it has not).
   */
  @Override
  public List<Reply.DeviceInfo> list(DomId domid, DeviceKind kind) {
    List<Reply.DeviceInfo> infos = new ArrayList<>();
    if (kind == DeviceKind.NETWORK) {
      for (Vif vif : new TreeMap<>(vifs.getOrDefault(domid, Map.of())).values()) {
        NoxsNetback.States states = states(domid, vif.devid());
        infos.add(
            new Reply.DeviceInfo(
                vif.devid(), vif.ifname(), states.backend(), states.frontend(), vif.settings()));
      }
    }
    return infos;
  }

  private NoxsNetback.States states(DomId domid, int devid) {
    try {
      return netback().map(back -> back.states(domid, devid)).orElse(NO_STATES);
    } catch (XenException e) { // gone meanwhile
      return NO_STATES;
    }
  }

  /**
   * A guest adopted by a restarted daemon: its vifs as its config made them (the module keeps them
   * through the restart).
   */
  void adopt(DomId domid, GuestConfig guest) {
    Map<Integer, Vif> adopted = new ConcurrentHashMap<>();
    for (int devid = 0; devid < guest.vifs().size(); devid++) {
      VifSpec spec = guest.vifs().get(devid);
      String name = spec.vifname().orElse(VifPlumbing.backendName(domid.value(), devid));
      adopted.put(
          devid, new Vif(devid, name, settings(spec, VifPlumbing.mac(spec, guest.name(), devid))));
    }
    vifs.put(domid, adopted);
  }

  /** The domain's vifs removed from the module: their interfaces go at once. */
  @Override
  public void removeAll(DomId domid) {
    vifs.remove(domid);
    Future<?> removal = removals.remove(domid);
    if (removal != null && !removal.cancel(false)) {
      try {
        removal.get();
      } catch (ExecutionException e) {
        // said by removeUnused
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    netback()
        .ifPresent(
            back -> {
              try {
                back.destroyAll(domid);
              } catch (XenException e) {
                if (e.errno() != Errno.ENOENT) {
                  throw e;
                }
              }
            });
  }

  @Override
  public void removeOrphans(Set<DomId> live) {
    netback()
        .ifPresent(
            back -> {
              for (NoxsNetback.Vif vif : back.list()) {
                if (!live.contains(vif.domid())) {
                  log.info("removing the noxs vifs of domain {}, which is gone", vif.domid());
                  removeAll(vif.domid());
                }
              }
            });
  }

  synchronized void close() {
    remover.shutdown();
    if (netback != null) {
      netback.close();
      netback = null;
    }
  }
}
