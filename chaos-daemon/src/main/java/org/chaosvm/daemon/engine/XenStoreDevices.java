package org.chaosvm.daemon.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.SplitDevice;
import org.chaosvm.libxc.XenStore;
import org.chaosvm.libxc.XenbusState;
import org.chaosvm.protocol.DeviceKind;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Devices over XenStore, as Xen's split-driver protocol has them and libxl writes them: a front end
 * under the guest's {@code device/KIND/N}, a back end under Dom0's {@code backend/KIND/DOMID/N},
 * netback and blkback in Dom0 running the handshake with the guest's netfront and blkfront.
 * XenStore is where devices are recorded: a restarted daemon finds them there. Dom0's share (the
 * vif's interface, the disk's loop device) is {@link VifPlumbing}'s and {@link DiskPlumbing}'s.
 *
 * <p>Removal is by domain: removing a domain's back ends makes netback delete its interfaces and
 * blkback let go of its disks, after which the loop devices unbind themselves.
 */
final class XenStoreDevices implements DeviceBackend {
  private static final Logger log = LoggerFactory.getLogger(XenStoreDevices.class);

  /** How long a guest has to let go of a device it is asked to give back. */
  static final Duration DETACH_WAIT = Duration.ofSeconds(20);

  private static final List<String> KINDS = List.of("vif", "vbd");

  private final XenHandles handles;
  private final DiskPlumbing disks = new DiskPlumbing();

  /** Held while a device is attached or detached: devids are picked from what XenStore holds. */
  private final Object changes = new Object();

  XenStoreDevices(XenHandles handles) {
    this.handles = handles;
  }

  private static SplitDevice vif(DomId domid, int devid) {
    return new SplitDevice("vif", domid, devid, DomId.DOM0);
  }

  /**
   * vif 0's two ends with what does not depend on the guest, and netback's interface for it ({@code
   * vifD.0}, down, on no bridge): netback's probe is the slow part of a vif, and most guests have
   * one. The execute phase then only configures it.
   */
  @Override
  public void prepare(DomId domid) {
    SplitDevice device = vif(domid, 0);
    XenStore xs = handles.xs();
    xs.inTransaction(
        t -> {
          device.write(xs, t, pluggedBackend(0), Map.of("handle", "0"));
          return null;
        });
    VifPlumbing.awaitInterface(netbackName(device), device.backendPath());
  }

  /**
   * A new guest's devices, vifs numbered from 0 in the config's order: the shell's vif 0 is
   * configured for the guest, or removed if it has no vif.
   */
  @Override
  public void attachAll(DomId domid, GuestConfig guest) {
    // Disks first: blkback opens them while the vifs are plugged ({@link #awaitReady} then waits).
    for (DiskSpec disk : guest.disks()) {
      writeDisk(domid, disk);
    }
    for (int devid = 0; devid < guest.vifs().size(); devid++) {
      VifSpec vif = guest.vifs().get(devid);
      if (devid == 0) {
        DeviceChecks.checkVif(devid, vif);
        DeviceChecks.checkVifName(devid, vif);
        SplitDevice device = vif(domid, 0);
        Map<String, String> backend = new LinkedHashMap<>();
        Map<String, String> frontend = new LinkedHashMap<>();
        guestNodes(device, guest.name(), vif, backend, frontend);
        XenStore xs = handles.xs();
        xs.inTransaction(
            t -> {
              backend.forEach(
                  (node, value) -> xs.write(t, device.backendPath() + "/" + node, value));
              frontend.forEach(
                  (node, value) -> xs.write(t, device.frontendPath() + "/" + node, value));
              return null;
            });
        plug(device, vif);
      } else {
        attach(domid, guest.name(), devid, vif);
      }
    }
    if (guest.vifs().isEmpty()) {
      // netback deletes the interface in its own time; destroy and restart check it is gone.
      SplitDevice unused = vif(domid, 0);
      handles.xs().rm(XenStore.NO_TRANSACTION, unused.backendPath());
      handles.xs().rm(XenStore.NO_TRANSACTION, unused.frontendPath());
    }
  }

  @Override
  public void awaitReady(DomId domid) {
    List<BackendWait.Pending> pending = new ArrayList<>();
    for (String kind : KINDS) {
      for (int devid : devids(domid, kind)) {
        SplitDevice device = new SplitDevice(kind, domid, devid, DomId.DOM0);
        pending.add(pending(device));
      }
    }
    BackendWait.await(handles.xs(), pending, BackendWait.LIMIT);
  }

  private BackendWait.Pending pending(SplitDevice device) {
    return new BackendWait.Pending(
        device, (device.kind().equals("vif") ? "vif " : "disk ") + deviceName(device));
  }

  /**
   * A device attached to a running guest is ready for it before the attach returns; one whose back
   * end fails is removed again.
   */
  private void awaitHotAttached(SplitDevice device) {
    try {
      BackendWait.await(handles.xs(), List.of(pending(device)), BackendWait.LIMIT);
    } catch (RuntimeException e) {
      try {
        remove(device);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  @Override
  public String attachVif(DomId domid, String guestName, VifSpec vif) {
    synchronized (changes) {
      int devid = devids(domid, "vif").stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
      String name = attach(domid, guestName, devid, vif);
      awaitHotAttached(vif(domid, devid));
      return "vif " + devid + " (" + name + ")";
    }
  }

  /**
   * A vif's two ends in one transaction (a running guest's netfront reads its MAC as soon as its
   * front end appears), then Dom0's share.
   */
  private String attach(DomId domid, String guestName, int devid, VifSpec vif) {
    DeviceChecks.checkVif(devid, vif);
    DeviceChecks.checkVifName(devid, vif);
    SplitDevice device = vif(domid, devid);
    XenStore xs = handles.xs();
    Map<String, String> backend = pluggedBackend(devid);
    Map<String, String> frontend = new LinkedHashMap<>(Map.of("handle", Integer.toString(devid)));
    guestNodes(device, guestName, vif, backend, frontend);
    xs.inTransaction(
        t -> {
          device.write(xs, t, backend, frontend);
          return null;
        });
    VifPlumbing.awaitInterface(netbackName(device), device.backendPath());
    return plug(device, vif);
  }

  /** Dom0's share of a plugged vif, then {@code hotplug-status}: netback waits in InitWait. */
  private String plug(SplitDevice device, VifSpec vif) {
    String name = VifPlumbing.plug(netbackName(device), device.devid(), vif);
    handles
        .xs()
        .write(XenStore.NO_TRANSACTION, device.backendPath() + "/hotplug-status", "connected");
    return name;
  }

  /** A vif back end's nodes that do not depend on the guest. */
  private static Map<String, String> pluggedBackend(int devid) {
    Map<String, String> backend = new LinkedHashMap<>();
    backend.put("handle", Integer.toString(devid));
    backend.put("type", "vif");
    // netback refuses a back end without a script node; the script would be run by udev (xl's
    // vif-bridge): chaos runs none, it does that work itself.
    backend.put("script", "");
    return backend;
  }

  /** The guest's settings of a vif, as nodes of the back end and the front end. */
  private static void guestNodes(
      SplitDevice device,
      String guestName,
      VifSpec vif,
      Map<String, String> backend,
      Map<String, String> frontend) {
    String mac = VifPlumbing.mac(vif, guestName, device.devid());
    backend.put("mac", mac);
    backend.put("bridge", vif.bridgeOrDefault());
    vif.ip().ifPresent(ip -> backend.put("ip", ip));
    vif.rate().ifPresent(rate -> backend.put("rate", rate.node()));
    vif.mtu().ifPresent(mtu -> backend.put("mtu", Integer.toString(mtu)));
    backend.put("vifname", vif.vifname().orElse(netbackName(device)));
    frontend.put("mac", mac);
    vif.mtu().ifPresent(mtu -> frontend.put("mtu", Integer.toString(mtu)));
    frontend.put("trusted", vif.trusted() ? "1" : "0");
  }

  private static String netbackName(SplitDevice device) {
    return VifPlumbing.backendName(device.frontend().value(), device.devid());
  }

  @Override
  public void attachDisk(DomId domid, DiskSpec disk) {
    synchronized (changes) {
      awaitHotAttached(writeDisk(domid, disk));
    }
  }

  /** Writes a disk's two ends, its loop device bound first; its devid follows from its vdev. */
  private SplitDevice writeDisk(DomId domid, DiskSpec disk) {
    DeviceChecks.checkDisk(disk);
    int devid =
        SplitDevice.vbdDevid(disk.vdev())
            .orElseThrow(
                () -> new ChaosException(ErrorCode.CONFIG, "no device number for " + disk.vdev()));
    XenStore xs = handles.xs();
    SplitDevice device = new SplitDevice("vbd", domid, devid, DomId.DOM0);
    synchronized (changes) {
      if (xs.read(XenStore.NO_TRANSACTION, device.backendPath() + "/state").isPresent()) {
        throw new ChaosException(
            ErrorCode.EXISTS, "domain " + domid + " has a disk " + disk.vdev() + " already");
      }
      DiskPlumbing.Bound bound = disks.bind(device.backendPath(), disk);
      try {
        Map<String, String> backend = new LinkedHashMap<>();
        backend.put("params", bound.target().shown());
        backend.put("type", "phy");
        backend.put("mode", disk.writable() ? "w" : "r");
        backend.put("dev", disk.vdev());
        backend.put("removable", "0");
        backend.put("bootable", "1");
        backend.put("device-type", "disk");
        backend.put("discard-enable", disk.discard() ? "1" : "0");
        if (disk.directIoSafe()) {
          backend.put("direct-io-safe", "1");
        }
        backend.put("physical-device-path", bound.path().toString());
        backend.put("physical-device", bound.majorMinor());
        Map<String, String> frontend = new LinkedHashMap<>();
        frontend.put("virtual-device", Integer.toString(devid));
        frontend.put("device-type", "disk");
        frontend.put("trusted", disk.trusted() ? "1" : "0");
        xs.inTransaction(
            t -> {
              device.write(xs, t, backend, frontend);
              return null;
            });
      } catch (RuntimeException e) {
        disks.release(device.backendPath());
        throw e;
      }
      return device;
    }
  }

  /**
   * As xl does: the back end is asked to close, the guest's front end closes in turn, then both
   * ends are removed. A guest that keeps the device (a mounted disk) keeps it, unless {@code
   * force}. The wait for the guest holds no lock: a guest that does not answer delays its own
   * detach, not other guests' creates, attaches and detaches (it held them for the whole wait).
   */
  @Override
  public String detach(DomId domid, DeviceKind kind, String which, boolean force) {
    XenStore xs = handles.xs();
    SplitDevice device;
    String back;
    synchronized (changes) {
      int devid = findDevid(domid, kind, which);
      device = new SplitDevice(kind.xenKind(), domid, devid, DomId.DOM0);
      back = device.backendPath();
      xs.inTransaction(
          t -> {
            xs.write(t, back + "/online", "0");
            xs.write(t, back + "/state", Integer.toString(XenbusState.CLOSING.number()));
            return null;
          });
    }
    String name = deviceName(device);
    boolean closed =
        Polling.until(
            DETACH_WAIT,
            20,
            20,
            () ->
                XenbusState.parse(read(back + "/state"))
                    .filter(s -> s.number() >= XenbusState.CLOSED.number())
                    .isPresent());
    if (!closed && !force) {
      throw new ChaosException(
          ErrorCode.WRONG_STATE,
          "domain "
              + domid
              + " did not give back "
              + name
              + " within "
              + DETACH_WAIT.toSeconds()
              + " s (is it in use, a disk mounted?); the device stays closing: detach with"
              + " --force to remove it anyway");
    }
    // Removed under the lock: an attach then picks its devid only once Dom0 has let go of this
    // one (a vif's interface name comes from it). A detach of the same device that ran at the
    // same time may have removed it already.
    synchronized (changes) {
      if (xs.read(XenStore.NO_TRANSACTION, back + "/state").isPresent()) {
        remove(device);
      }
    }
    return name;
  }

  /**
   * Removes one device's two ends, waits for Dom0 to let go, then removes its driver's error: a
   * driver may write one as its back end goes.
   */
  private void remove(SplitDevice device) {
    XenStore xs = handles.xs();
    Dom0Leftovers leftovers = leftovers(List.of(device));
    xs.rm(XenStore.NO_TRANSACTION, device.backendPath());
    xs.rm(XenStore.NO_TRANSACTION, device.frontendPath());
    leftovers.await();
    xs.rm(XenStore.NO_TRANSACTION, device.backendErrorPath());
  }

  private int findDevid(DomId domid, DeviceKind kind, String which) {
    for (int devid : devids(domid, kind.xenKind())) {
      String back = new SplitDevice(kind.xenKind(), domid, devid, DomId.DOM0).backendPath();
      boolean matches =
          which.equals(Integer.toString(devid))
              || which.equalsIgnoreCase(read(back + "/mac"))
              || which.equals(read(back + "/dev"));
      if (matches) {
        return devid;
      }
    }
    throw new ChaosException(
        ErrorCode.NOT_FOUND,
        "domain "
            + domid
            + " has no "
            + (kind == DeviceKind.NETWORK ? "vif" : "disk")
            + " "
            + which
            + (kind == DeviceKind.NETWORK
                ? " (give its devid or mac)"
                : " (give its vdev or devid)"));
  }

  /** The guest's devices of a kind, as their back ends and front ends say. */
  @Override
  public List<Reply.DeviceInfo> list(DomId domid, DeviceKind kind) {
    List<Reply.DeviceInfo> list = new ArrayList<>();
    for (int devid : devids(domid, kind.xenKind())) {
      SplitDevice device = new SplitDevice(kind.xenKind(), domid, devid, DomId.DOM0);
      String back = device.backendPath();
      Map<String, String> settings = new LinkedHashMap<>();
      List<String> nodes =
          kind == DeviceKind.NETWORK
              ? List.of("mac", "bridge", "ip", "rate", "mtu")
              : List.of("params", "mode", "physical-device-path");
      for (String node : nodes) {
        handles
            .xs()
            .read(XenStore.NO_TRANSACTION, back + "/" + node)
            .ifPresent(v -> settings.put(node, v));
      }
      settings.put("backend", back);
      list.add(
          new Reply.DeviceInfo(
              devid, deviceName(device), state(back), state(device.frontendPath()), settings));
    }
    return list;
  }

  private int state(String path) {
    return XenbusState.parse(read(path + "/state")).orElse(XenbusState.UNKNOWN).number();
  }

  private String deviceName(SplitDevice device) {
    String back = device.backendPath();
    XenStore xs = handles.xs();
    return device.kind().equals("vif")
        ? xs.read(XenStore.NO_TRANSACTION, back + "/vifname").orElse(netbackName(device))
        : xs.read(XenStore.NO_TRANSACTION, back + "/dev").orElse("vbd " + device.devid());
  }

  @Override
  public void removeAll(DomId domid) {
    XenStore xs = handles.xs();
    List<SplitDevice> devices = new ArrayList<>();
    // Only the kinds the domain has back ends of: each request costs more as xenstored serves more
    // domains, and a guest without a disk has no vbd folder to remove (nor errors of one).
    List<String> kinds = new ArrayList<>();
    for (String kind : KINDS) {
      Optional<List<Integer>> devids = devidsIfAny(domid, kind);
      if (devids.isPresent()) {
        kinds.add(kind);
        devids.get().forEach(devid -> devices.add(new SplitDevice(kind, domid, devid, DomId.DOM0)));
      }
    }
    Dom0Leftovers leftovers = leftovers(devices);
    for (String kind : kinds) {
      xs.rm(XenStore.NO_TRANSACTION, SplitDevice.backendsPath(DomId.DOM0, kind, domid));
    }
    if (!devices.isEmpty()) {
      leftovers.await(); // then no driver writes an error of theirs any more
    }
    for (String kind : kinds) {
      xs.rm(XenStore.NO_TRANSACTION, SplitDevice.backendErrorsPath(DomId.DOM0, kind, domid));
    }
  }

  @Override
  public void removeOrphans(Set<DomId> live) {
    XenStore xs = handles.xs();
    for (String kind : KINDS) {
      String base = DomainLayout.domainPath(DomId.DOM0) + "/backend/" + kind;
      String errors = DomainLayout.domainPath(DomId.DOM0) + "/error/backend/" + kind;
      Set<String> children = new TreeSet<>();
      children.addAll(xs.directory(XenStore.NO_TRANSACTION, base).orElse(List.of()));
      children.addAll(xs.directory(XenStore.NO_TRANSACTION, errors).orElse(List.of()));
      for (String child : children) {
        DomId domid;
        try {
          domid = DomId.of(Integer.parseInt(child));
        } catch (IllegalArgumentException e) {
          continue;
        }
        if (!live.contains(domid)) {
          log.info("removing the devices of domain {}, which is gone", domid);
          removeAll(domid);
          // errors that outlived their back ends (a daemon killed between the two removals)
          xs.rm(XenStore.NO_TRANSACTION, errors + "/" + child);
        }
      }
    }
  }

  private List<Integer> devids(DomId domid, String kind) {
    return devidsIfAny(domid, kind).orElse(List.of());
  }

  /** The devids under the domain's back-end folder of {@code kind}; empty if it has none. */
  private Optional<List<Integer>> devidsIfAny(DomId domid, String kind) {
    Optional<List<String>> children =
        handles
            .xs()
            .directory(XenStore.NO_TRANSACTION, SplitDevice.backendsPath(DomId.DOM0, kind, domid));
    if (children.isEmpty()) {
      return Optional.empty();
    }
    List<Integer> devids = new ArrayList<>();
    for (String child : children.get()) {
      try {
        devids.add(Integer.parseInt(child));
      } catch (NumberFormatException e) {
        // not a device
      }
    }
    devids.sort(null);
    return Optional.of(devids);
  }

  /** Reads what the devices leave in Dom0, and gives up this daemon's hold on their loops. */
  private Dom0Leftovers leftovers(List<SplitDevice> devices) {
    List<Path> backends = new ArrayList<>();
    List<String> interfaces = new ArrayList<>();
    Map<Path, Path> loopFiles = new TreeMap<>();
    for (SplitDevice device : devices) {
      String back = device.backendPath();
      backends.add(
          Dom0Leftovers.BACKEND_BUS.resolve(
              device.kind() + "-" + device.frontend().value() + "-" + device.devid()));
      if (device.kind().equals("vif")) {
        interfaces.add(deviceName(device));
        continue;
      }
      Optional<String> physical =
          handles.xs().read(XenStore.NO_TRANSACTION, back + "/physical-device-path");
      Optional<String> params = handles.xs().read(XenStore.NO_TRANSACTION, back + "/params");
      if (physical.isPresent() && params.isPresent() && physical.get().startsWith("/dev/loop")) {
        loopFiles.put(Path.of(physical.get()), DiskPlumbing.realPath(Path.of(params.get())));
      }
      disks.release(back);
    }
    return new Dom0Leftovers(backends, interfaces, loopFiles);
  }

  private String read(String path) {
    return handles.xs().read(XenStore.NO_TRANSACTION, path).orElse("");
  }
}
