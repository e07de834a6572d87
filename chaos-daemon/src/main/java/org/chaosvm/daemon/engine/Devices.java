package org.chaosvm.daemon.engine;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.libxc.BlockDevices;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.LoopDevice;
import org.chaosvm.libxc.NetInterfaces;
import org.chaosvm.libxc.SplitDevice;
import org.chaosvm.libxc.XenException;
import org.chaosvm.libxc.XenStore;
import org.chaosvm.libxc.XenbusState;
import org.chaosvm.protocol.DeviceKind;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guests' network interfaces and disks, served by netback and blkback in Dom0 and set up through
 * XenStore as Xen's split-driver protocol has it. chaos does the work of xl's hotplug scripts
 * itself: it waits for netback's {@code vifD.N}, renames it when asked, makes it a port of its
 * bridge, brings it up and reports {@code hotplug-status} "connected"; it binds image files to loop
 * devices for blkback. XenStore is where devices are recorded (a restarted daemon finds them
 * there); the only state kept here is this daemon's hold on its loop devices.
 *
 * <p>Removal is by domain: removing a domain's back ends makes netback delete its interfaces and
 * blkback let go of its disks, after which the loop devices unbind themselves (see {@link
 * LoopDevice}).
 */
final class Devices {
  private static final Logger log = LoggerFactory.getLogger(Devices.class);

  /** How long netback may take to create a vif's interface. */
  static final Duration INTERFACE_WAIT = Duration.ofSeconds(20);

  /** How long a guest has to let go of a device it is asked to give back. */
  static final Duration DETACH_WAIT = Duration.ofSeconds(20);

  /** How long Dom0 may take to delete interfaces and unbind loop devices of removed back ends. */
  static final Duration GONE_WAIT = Duration.ofSeconds(20);

  /** The first three bytes of MAC addresses Xen's toolstacks make up (Xen's OUI). */
  static final String XEN_OUI = "00:16:3e";

  private final XenHandles handles;

  /** This daemon's hold on the loop devices of back ends it made, by back-end path. */
  private final Map<String, LoopDevice> loops = new HashMap<>();

  Devices(XenHandles handles) {
    this.handles = handles;
  }

  /**
   * Checks what a guest's devices need from Dom0 before anything is made for it: their bridges and
   * their disks' targets exist.
   */
  static void check(GuestConfig guest) {
    for (int devid = 0; devid < guest.vifs().size(); devid++) {
      checkVif(devid, guest.vifs().get(devid));
    }
    for (DiskSpec disk : guest.disks()) {
      checkDisk(disk);
    }
  }

  static void checkVif(int devid, VifSpec vif) {
    String bridge = vif.bridgeOrDefault();
    if (!NetInterfaces.isBridge(bridge)) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "vif "
              + devid
              + ": "
              + (NetInterfaces.exists(bridge)
                  ? bridge + " is not a bridge"
                  : "there is no bridge " + bridge + " in Dom0")
              + " (create it, e.g. 'ip link add "
              + bridge
              + " type bridge', or name another with bridge=)");
    }
  }

  static void checkDisk(DiskSpec disk) {
    Target target = Target.of(disk);
    if (target.blockDevice() && BlockDevices.physicalDevice(target.path()).isEmpty()) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "disk " + disk.vdev() + ": " + target.path() + " is not a block device of Dom0");
    }
    if (!target.blockDevice() && !Files.isRegularFile(target.path())) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "disk "
              + disk.vdev()
              + ": "
              + (Files.exists(target.path())
                  ? target.path() + " is neither an image file nor a block device"
                  : "the image file " + target.path() + " does not exist"));
    }
  }

  /**
   * What backs a disk: a block device ({@code phy:}, or a path that is one) or an image file
   * ({@code file:}, or any other path).
   */
  record Target(Path path, boolean blockDevice) {
    static Target of(DiskSpec disk) {
      String target = disk.target();
      if (target.startsWith("phy:")) {
        return new Target(Path.of(target.substring(4)), true);
      }
      if (target.startsWith("file:")) {
        return new Target(Path.of(target.substring(5)), false);
      }
      Path path = Path.of(target);
      return new Target(path, BlockDevices.physicalDevice(path).isPresent());
    }
  }

  /**
   * The prepare phase's share (no guest known yet): vif 0's two ends with what does not depend on
   * the guest, and netback's interface for it ({@code vifD.0}, down, on no bridge). Most guests
   * have one vif; the execute phase then only configures it ({@link #attachAll}).
   */
  void preplugVif(DomId domid) {
    SplitDevice device = new SplitDevice("vif", domid, 0, DomId.DOM0);
    XenStore xs = handles.xs();
    xs.inTransaction(
        t -> {
          device.write(xs, t, pluggedBackend(0), Map.of("handle", "0"));
          return null;
        });
    awaitInterface(netbackName(device), device);
  }

  /**
   * Attaches a new guest's devices to its shell, vifs numbered from 0 in the config's order. The
   * shell's vif 0 ({@link #preplugVif}) is configured for the guest, or removed if it has no vif.
   */
  void attachAll(DomId domid, GuestConfig guest) {
    for (int devid = 0; devid < guest.vifs().size(); devid++) {
      VifSpec vif = guest.vifs().get(devid);
      if (devid == 0) {
        checkVif(devid, vif);
        configureVif(new SplitDevice("vif", domid, 0, DomId.DOM0), guest.name(), vif, true);
      } else {
        attachVif(domid, guest.name(), devid, vif);
      }
    }
    if (guest.vifs().isEmpty()) {
      // netback deletes the interface in its own time; destroy and restart check it is gone.
      SplitDevice unused = new SplitDevice("vif", domid, 0, DomId.DOM0);
      handles.xs().rm(XenStore.NO_TRANSACTION, unused.backendPath());
      handles.xs().rm(XenStore.NO_TRANSACTION, unused.frontendPath());
    }
    for (DiskSpec disk : guest.disks()) {
      attachDisk(domid, disk);
    }
  }

  /** The devid a new vif of the guest gets: one more than the highest it has. */
  int nextVifDevid(DomId domid) {
    return devids(domid, "vif").stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
  }

  /**
   * Attaches a vif in one go (a running guest's netfront reads its MAC as soon as the front end
   * appears); returns the name of its interface in Dom0.
   */
  String attachVif(DomId domid, String guestName, int devid, VifSpec vif) {
    checkVif(devid, vif);
    SplitDevice device = new SplitDevice("vif", domid, devid, DomId.DOM0);
    checkVifName(device, vif);
    XenStore xs = handles.xs();
    Map<String, String> backend = pluggedBackend(devid);
    Map<String, String> frontend = new LinkedHashMap<>(Map.of("handle", Integer.toString(devid)));
    guestNodes(device, guestName, vif, backend, frontend);
    xs.inTransaction(
        t -> {
          device.write(xs, t, backend, frontend);
          return null;
        });
    awaitInterface(netbackName(device), device);
    return configureVif(device, guestName, vif, false);
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
    String mac = vif.mac().orElseGet(() -> generatedMac(guestName, device.devid()));
    backend.put("mac", mac);
    backend.put("bridge", vif.bridgeOrDefault());
    vif.ip().ifPresent(ip -> backend.put("ip", ip));
    vif.rate().ifPresent(rate -> backend.put("rate", rate.node()));
    vif.mtu().ifPresent(mtu -> backend.put("mtu", Integer.toString(mtu)));
    backend.put("vifname", vif.vifname().orElse(netbackName(device)));
    frontend.put("mac", mac);
    vif.mtu().ifPresent(mtu -> frontend.put("mtu", Integer.toString(mtu)));
  }

  private static String netbackName(SplitDevice device) {
    return "vif" + device.frontend().value() + "." + device.devid();
  }

  private static void checkVifName(SplitDevice device, VifSpec vif) {
    if (vif.vifname().isPresent() && NetInterfaces.exists(vif.vifname().get())) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "vif "
              + device.devid()
              + ": an interface named "
              + vif.vifname().get()
              + " exists already");
    }
  }

  /**
   * Does for a plugged vif what xl's vif-bridge script does: renames its interface if asked, sets
   * its MTU, makes it a port of its bridge, brings it up and reports {@code hotplug-status}. With
   * {@code writeNodes}, first writes the guest's settings into both ends.
   */
  private String configureVif(
      SplitDevice device, String guestName, VifSpec vif, boolean writeNodes) {
    XenStore xs = handles.xs();
    String netbackName = netbackName(device);
    String name = vif.vifname().orElse(netbackName);
    if (writeNodes) {
      checkVifName(device, vif);
      Map<String, String> backend = new LinkedHashMap<>();
      Map<String, String> frontend = new LinkedHashMap<>();
      guestNodes(device, guestName, vif, backend, frontend);
      xs.inTransaction(
          t -> {
            backend.forEach((node, value) -> xs.write(t, device.backendPath() + "/" + node, value));
            frontend.forEach(
                (node, value) -> xs.write(t, device.frontendPath() + "/" + node, value));
            return null;
          });
    }
    try {
      if (!name.equals(netbackName)) {
        NetInterfaces.rename(netbackName, name);
      }
      vif.mtu().ifPresent(mtu -> NetInterfaces.setMtu(name, mtu));
      NetInterfaces.addToBridge(vif.bridgeOrDefault(), name);
      NetInterfaces.up(name);
    } catch (XenException e) {
      throw new ChaosException(
          ErrorCode.XEN,
          "cannot set up "
              + name
              + " on bridge "
              + vif.bridgeOrDefault()
              + " for vif "
              + device.devid()
              + ": "
              + e.getMessage(),
          e);
    }
    // netback holds the back end in InitWait until this says the interface is ready.
    xs.write(XenStore.NO_TRANSACTION, device.backendPath() + "/hotplug-status", "connected");
    return name;
  }

  private void awaitInterface(String name, SplitDevice device) {
    if (!Polling.until(INTERFACE_WAIT, 1, 20, () -> NetInterfaces.exists(name))) {
      throw new ChaosException(
          ErrorCode.XEN,
          "netback made no interface "
              + name
              + " within "
              + INTERFACE_WAIT.toSeconds()
              + " s of "
              + device.backendPath()
              + " (is the xen-netback module loaded in Dom0?)");
    }
  }

  /**
   * A MAC in Xen's OUI, the same for a guest's vif whenever the guest is created again (so that
   * neighbours' ARP caches and DHCP leases stay valid), made from the guest's name and the devid.
   */
  static String generatedMac(String guestName, int devid) {
    byte[] hash;
    try {
      hash =
          MessageDigest.getInstance("SHA-256")
              .digest((guestName + "/" + devid).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return String.format(
        "%s:%02x:%02x:%02x", XEN_OUI, hash[0] & 0x7f, hash[1] & 0xff, hash[2] & 0xff);
  }

  /** Attaches a disk; its devid follows from its vdev. */
  void attachDisk(DomId domid, DiskSpec disk) {
    checkDisk(disk);
    int devid =
        SplitDevice.vbdDevid(disk.vdev())
            .orElseThrow(
                () -> new ChaosException(ErrorCode.CONFIG, "no device number for " + disk.vdev()));
    XenStore xs = handles.xs();
    SplitDevice device = new SplitDevice("vbd", domid, devid, DomId.DOM0);
    if (xs.read(XenStore.NO_TRANSACTION, device.backendPath() + "/state").isPresent()) {
      throw new ChaosException(
          ErrorCode.EXISTS, "domain " + domid + " has a disk " + disk.vdev() + " already");
    }
    Target target = Target.of(disk);
    Optional<LoopDevice> loop = Optional.empty();
    Path physical = target.path();
    if (!target.blockDevice()) {
      try {
        loop = Optional.of(LoopDevice.attach(target.path(), disk.writable()));
      } catch (XenException e) {
        throw new ChaosException(
            ErrorCode.CONFIG,
            "disk " + disk.vdev() + ": cannot bind " + target.path() + " to a loop device: " + e,
            e);
      }
      physical = loop.get().path();
    }
    try {
      Map<String, String> backend = new LinkedHashMap<>();
      backend.put("params", target.path().toString());
      backend.put("type", "phy");
      backend.put("mode", disk.writable() ? "w" : "r");
      backend.put("dev", disk.vdev());
      backend.put("removable", "0");
      backend.put("bootable", "1");
      backend.put("device-type", "disk");
      backend.put("physical-device-path", physical.toString());
      backend.put("physical-device", BlockDevices.physicalDevice(physical).orElseThrow());
      Map<String, String> frontend = new LinkedHashMap<>();
      frontend.put("virtual-device", Integer.toString(devid));
      frontend.put("device-type", "disk");
      xs.inTransaction(
          t -> {
            device.write(xs, t, backend, frontend);
            return null;
          });
      loop.ifPresent(
          l -> {
            synchronized (loops) {
              loops.put(device.backendPath(), l);
            }
          });
    } catch (RuntimeException e) {
      loop.ifPresent(LoopDevice::close);
      throw e;
    }
  }

  /**
   * Detaches one device of a running guest as xl does: the back end is asked to close, the guest's
   * front end closes in turn, then both ends are removed. A guest that keeps the device (a mounted
   * disk) keeps it, unless {@code force}.
   */
  String detach(DomId domid, DeviceKind kind, String which, boolean force) {
    XenStore xs = handles.xs();
    int devid = findDevid(domid, kind, which);
    SplitDevice device = new SplitDevice(kind.xenKind(), domid, devid, DomId.DOM0);
    String back = device.backendPath();
    String name = deviceName(device);
    xs.inTransaction(
        t -> {
          xs.write(t, back + "/online", "0");
          xs.write(t, back + "/state", Integer.toString(XenbusState.CLOSING.number()));
          return null;
        });
    boolean closed = awaitBackendState(back, XenbusState.CLOSED, DETACH_WAIT);
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
    Leftovers leftovers = leftovers(List.of(device));
    xs.rm(XenStore.NO_TRANSACTION, back);
    xs.rm(XenStore.NO_TRANSACTION, device.frontendPath());
    leftovers.await();
    return name;
  }

  private int findDevid(DomId domid, DeviceKind kind, String which) {
    XenStore xs = handles.xs();
    for (int devid : devids(domid, kind.xenKind())) {
      SplitDevice device = new SplitDevice(kind.xenKind(), domid, devid, DomId.DOM0);
      String back = device.backendPath();
      boolean matches =
          which.equals(Integer.toString(devid))
              || which.equalsIgnoreCase(read(xs, back + "/mac"))
              || which.equals(read(xs, back + "/dev"));
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
  List<Reply.DeviceInfo> list(DomId domid, DeviceKind kind) {
    XenStore xs = handles.xs();
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
        xs.read(XenStore.NO_TRANSACTION, back + "/" + node).ifPresent(v -> settings.put(node, v));
      }
      settings.put("backend", back);
      list.add(
          new Reply.DeviceInfo(
              devid, deviceName(device), state(back), state(device.frontendPath()), settings));
    }
    return list;
  }

  private int state(String path) {
    return XenbusState.parse(read(handles.xs(), path + "/state"))
        .orElse(XenbusState.UNKNOWN)
        .number();
  }

  private String deviceName(SplitDevice device) {
    String back = device.backendPath();
    XenStore xs = handles.xs();
    return device.kind().equals("vif")
        ? xs.read(XenStore.NO_TRANSACTION, back + "/vifname")
            .orElse("vif" + device.frontend().value() + "." + device.devid())
        : xs.read(XenStore.NO_TRANSACTION, back + "/dev").orElse("vbd " + device.devid());
  }

  /**
   * Removes every back end and front end of a domain that is gone or being destroyed, gives up this
   * daemon's loop devices for it, and waits (a bounded while) until Dom0 has deleted its interfaces
   * and unbound its loop devices. Safe to call for a domain that has no devices.
   */
  void removeAll(DomId domid) {
    XenStore xs = handles.xs();
    List<SplitDevice> devices = new ArrayList<>();
    for (String kind : List.of("vif", "vbd")) {
      for (int devid : devids(domid, kind)) {
        devices.add(new SplitDevice(kind, domid, devid, DomId.DOM0));
      }
    }
    Leftovers leftovers = leftovers(devices);
    for (String kind : List.of("vif", "vbd")) {
      xs.rm(XenStore.NO_TRANSACTION, SplitDevice.backendsPath(DomId.DOM0, kind, domid));
    }
    if (!devices.isEmpty()) {
      leftovers.await();
    }
  }

  /** Removes the back ends of domains that no longer exist (their guest died unseen). */
  void removeOrphans(Set<DomId> live) {
    XenStore xs = handles.xs();
    for (String kind : List.of("vif", "vbd")) {
      String base = DomainLayout.domainPath(DomId.DOM0) + "/backend/" + kind;
      for (String child : xs.directory(XenStore.NO_TRANSACTION, base).orElse(List.of())) {
        DomId domid;
        try {
          domid = DomId.of(Integer.parseInt(child));
        } catch (IllegalArgumentException e) {
          continue;
        }
        if (!live.contains(domid)) {
          log.info("removing the devices of domain {}, which is gone", domid);
          removeAll(domid);
        }
      }
    }
  }

  private List<Integer> devids(DomId domid, String kind) {
    List<Integer> devids = new ArrayList<>();
    for (String child :
        handles
            .xs()
            .directory(XenStore.NO_TRANSACTION, SplitDevice.backendsPath(DomId.DOM0, kind, domid))
            .orElse(List.of())) {
      try {
        devids.add(Integer.parseInt(child));
      } catch (NumberFormatException e) {
        // not a device
      }
    }
    devids.sort(null);
    return devids;
  }

  /** What must be gone from Dom0 once the back ends are removed: interfaces and loop devices. */
  private record Leftovers(List<String> interfaces, Map<Path, Path> loopFiles) {
    void await() {
      if (!Polling.until(GONE_WAIT, 1, 50, () -> left().isEmpty())) {
        log.warn(
            "still in Dom0 {} s after their back ends went: {}", GONE_WAIT.toSeconds(), left());
      }
    }

    private List<String> left() {
      List<String> left = new ArrayList<>();
      interfaces.stream().filter(NetInterfaces::exists).forEach(left::add);
      loopFiles.forEach(
          (loop, file) -> {
            if (LoopDevice.backingFile(loop).filter(file::equals).isPresent()) {
              left.add(loop + " (" + file + ")");
            }
          });
      return left;
    }
  }

  /** Reads what the devices leave in Dom0, and gives up this daemon's hold on their loops. */
  private Leftovers leftovers(List<SplitDevice> devices) {
    XenStore xs = handles.xs();
    List<String> interfaces = new ArrayList<>();
    Map<Path, Path> loopFiles = new TreeMap<>();
    for (SplitDevice device : devices) {
      String back = device.backendPath();
      if (device.kind().equals("vif")) {
        interfaces.add(deviceName(device));
        continue;
      }
      Optional<String> physical = xs.read(XenStore.NO_TRANSACTION, back + "/physical-device-path");
      Optional<String> params = xs.read(XenStore.NO_TRANSACTION, back + "/params");
      if (physical.isPresent() && params.isPresent() && physical.get().startsWith("/dev/loop")) {
        loopFiles.put(Path.of(physical.get()), realPath(Path.of(params.get())));
      }
      LoopDevice held;
      synchronized (loops) {
        held = loops.remove(back);
      }
      if (held != null) {
        held.close();
      }
    }
    return new Leftovers(interfaces, loopFiles);
  }

  /** The file's path as a loop device reports its backing file. */
  private static Path realPath(Path file) {
    try {
      return file.toRealPath();
    } catch (java.io.IOException e) {
      return file.toAbsolutePath().normalize();
    }
  }

  private static String read(XenStore xs, String path) {
    return xs.read(XenStore.NO_TRANSACTION, path).orElse("");
  }

  private boolean awaitBackendState(String back, XenbusState wanted, Duration timeout) {
    return Polling.until(
        timeout,
        20,
        20,
        () ->
            XenbusState.parse(read(handles.xs(), back + "/state"))
                .filter(s -> s.number() >= wanted.number())
                .isPresent());
  }
}
