package org.chaosvm.daemon.config;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chaosvm.libxc.NetInterfaces;
import org.chaosvm.libxc.SplitDevice;

/** xl's device strings: {@code vif} ("key=value,...") and {@code disk} (positional or keyed). */
final class DeviceSpecs {
  /** xl's vif keys chaos takes, in xl's order. */
  private static final List<String> VIF_KEYS =
      List.of("type", "mac", "bridge", "ip", "vifname", "rate", "mtu");

  /** xl's vif keys chaos does not support, and why. */
  private static final Map<String, String> VIF_UNSUPPORTED =
      Map.of(
          "netdev", "chaos runs no vif-route script",
          "gatewaydev", "chaos runs no vif-route script",
          "script", "chaos runs no hotplug script: the daemon plumbs the vif itself",
          "backend", "chaos's back ends run in Domain-0",
          "model", "chaos's guests are PV: there is no emulated card",
          "accel", "xl does not support it either",
          "devid", "chaos numbers vifs by their place in the list",
          "forwarddev", "chaos has no COLO replication");

  private DeviceSpecs() {}

  /**
   * A vif as xl reads it ({@code parse_nic_config} of Xen 4.17's xl): comma-separated {@code
   * key=value} settings and the flags {@code trusted} and {@code untrusted}; empty items are
   * skipped, spaces before an item too; a key given twice takes the last value, as in xl. What xl
   * takes and chaos does not support is refused, naming the setting.
   */
  static VifSpec vif(Path file, int line, int column, String spec) throws ConfigException {
    refuseNul(file, line, column, "vif", spec);
    Map<String, String> settings = new LinkedHashMap<>();
    boolean trusted = true;
    for (String item : spec.split(",")) {
      item = item.replaceFirst("^ +", "");
      if (item.isEmpty()) {
        continue;
      }
      if (item.equals("trusted") || item.equals("untrusted")) {
        trusted = item.equals("trusted");
        continue;
      }
      int eq = item.indexOf('=');
      String key = eq < 0 ? item : item.substring(0, eq);
      String why =
          key.startsWith("colo_") ? "chaos has no COLO replication" : VIF_UNSUPPORTED.get(key);
      if (eq > 0 && why != null) {
        throw new ConfigException(
            file, line, column, "vif '" + spec + "': " + item + " is not supported: " + why);
      }
      if (eq < 0 || !VIF_KEYS.contains(key)) {
        throw new ConfigException(
            file, line, column, "vif '" + spec + "': unrecognized argument '" + item + "'");
      }
      settings.put(key, item.substring(eq + 1));
    }
    String type = settings.getOrDefault("type", "vif");
    if (!type.equals("vif")) {
      throw new ConfigException(
          file,
          line,
          column,
          type.equals("ioemu")
              ? "vif '" + spec + "': type=ioemu is not supported: chaos's guests are PV"
              : "vif '" + spec + "': invalid parameter 'type'");
    }
    Optional<String> mac = Optional.empty();
    if (settings.containsKey("mac")) {
      mac = Optional.of(mac(file, line, column, settings.get("mac")));
    }
    Optional<String> vifname = Optional.ofNullable(settings.get("vifname"));
    if (vifname.isPresent() && !NetInterfaces.validName(vifname.get())) {
      throw new ConfigException(
          file,
          line,
          column,
          "vifname '"
              + vifname.get()
              + "' cannot name a network interface (1 to 15 characters, no '/', ':' or blank)");
    }
    Optional<String> bridge = Optional.ofNullable(settings.get("bridge"));
    if (bridge.isPresent() && !NetInterfaces.validName(bridge.get())) {
      throw new ConfigException(
          file, line, column, "bridge '" + bridge.get() + "' cannot name a network interface");
    }
    Optional<VifSpec.Rate> rate = Optional.empty();
    if (settings.containsKey("rate")) {
      rate = Optional.of(rate(file, line, column, settings.get("rate")));
    }
    Optional<Integer> mtu = Optional.empty();
    if (settings.containsKey("mtu")) {
      mtu = Optional.of(mtu(file, line, column, settings.get("mtu")));
    }
    return new VifSpec(
        mac, bridge, Optional.ofNullable(settings.get("ip")), vifname, rate, mtu, trusted);
  }

  /**
   * xl's MAC: six hexadecimal numbers up to ff, each ended by one character of any kind (what
   * follows the sixth is not read, as in xl); written back as six two-digit groups. chaos also
   * refuses a multicast address, which no interface can have.
   */
  private static String mac(Path file, int line, int column, String text) throws ConfigException {
    int[] bytes = new int[6];
    int at = 0;
    for (int i = 0; i < 6; i++) {
      int start = at;
      while (at < text.length() && Character.digit(text.charAt(at), 16) >= 0 && at - start < 3) {
        at++;
      }
      bytes[i] = at == start ? 256 : Integer.parseInt(text.substring(start, at), 16);
      if (bytes[i] > 255) {
        throw new ConfigException(
            file,
            line,
            column,
            "vif mac '" + text + "' is not a MAC address such as 00:16:3e:12:34:56");
      }
      at++;
    }
    String mac =
        String.format(
            "%02x:%02x:%02x:%02x:%02x:%02x",
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]);
    if ((bytes[0] & 1) != 0) {
      throw new ConfigException(
          file,
          line,
          column,
          "vif mac '" + text + "' is a multicast address: an interface needs a unicast one");
    }
    return mac;
  }

  /** xl's number ({@code strtoul}, base 10: the leading digits), then chaos's range. */
  private static int mtu(Path file, int line, int column, String text) throws ConfigException {
    Matcher digits = Pattern.compile("^\\s*\\+?([0-9]+)").matcher(text);
    if (!digits.find()) {
      throw new ConfigException(file, line, column, "vif mtu '" + text + "' is not a number");
    }
    String number = digits.group(1).replaceFirst("^0+(?=.)", "");
    int mtu = number.length() > 5 ? Integer.MAX_VALUE : Integer.parseInt(number);
    if (mtu < 68 || mtu > 65535) {
      throw new ConfigException(
          file, line, column, "vif mtu " + number + " is not between 68 and 65535");
    }
    return mtu;
  }

  /** A vif's {@code rate=}, as xl reads it ({@link VifRate}). */
  static VifSpec.Rate rate(Path file, int line, int column, String text) throws ConfigException {
    try {
      return VifRate.parse(text);
    } catch (VifRate.RateError e) {
      throw new ConfigException(file, line, column, "vif rate: " + e.getMessage());
    }
  }

  /** A NUL reaches no path, XenStore node or interface name: refused before it is parsed. */
  private static void refuseNul(Path file, int line, int column, String kind, String spec)
      throws ConfigException {
    if (spec.indexOf('\0') >= 0) {
      throw new ConfigException(file, line, column, kind + " spec holds a NUL character");
    }
  }

  /** Two disks of one guest on one vdev, or two interfaces with one MAC, are refused. */
  static void checkUnique(Path file, List<VifSpec> vifs, List<DiskSpec> disks)
      throws ConfigException {
    Set<String> vdevs = new HashSet<>();
    for (DiskSpec disk : disks) {
      if (!vdevs.add(disk.vdev())) {
        throw new ConfigException(
            file, 0, 0, "two disks are attached as " + disk.vdev() + ": each needs its own vdev");
      }
    }
    Set<String> macs = new HashSet<>();
    for (VifSpec vif : vifs) {
      if (vif.mac().isPresent() && !macs.add(vif.mac().get())) {
        throw new ConfigException(
            file, 0, 0, "two vifs have the mac " + vif.mac().get() + ": each needs its own");
      }
    }
  }

  /**
   * A disk as xl reads its DISKSPEC ({@link DiskSpecScanner}), then what chaos supports of it: raw
   * images and block devices served by Dom0's blkback. Anything else that xl would take (a cdrom,
   * another format, a script, another back end or back-end type, virtio, COLO) is refused naming
   * the setting.
   */
  static DiskSpec disk(Path file, int line, int column, String spec) throws ConfigException {
    refuseNul(file, line, column, "disk", spec);
    DiskSpecScanner.Parsed disk;
    try {
      disk = DiskSpecScanner.scan(spec);
    } catch (DiskSpecScanner.SyntaxError e) {
      throw new ConfigException(file, line, column, "disk '" + spec + "': " + e.getMessage());
    }
    Optional<String> unsupported = unsupported(disk);
    if (unsupported.isPresent()) {
      throw new ConfigException(file, line, column, "disk '" + spec + "': " + unsupported.get());
    }
    if (disk.target.isEmpty()) {
      throw new ConfigException(
          file,
          line,
          column,
          "disk '" + spec + "' names no target (an image file or a block device)");
    }
    if (SplitDevice.vbdDevid(disk.vdev).isEmpty()) {
      throw new ConfigException(
          file,
          line,
          column,
          "disk '" + spec + "': vdev '" + disk.vdev + "' is not a disk name such as xvda or hda");
    }
    String target = disk.target.startsWith("/") ? disk.target : "/dev/" + disk.target;
    return new DiskSpec(
        target,
        disk.vdev,
        disk.writable,
        disk.discard == null ? disk.writable : disk.discard,
        disk.trusted,
        disk.directIoSafe);
  }

  /** What xl takes and chaos does not, named as the spec gave it, and why; empty if none. */
  private static Optional<String> unsupported(DiskSpecScanner.Parsed disk) {
    if (disk.cdrom) {
      return Optional.of(
          "a cdrom (cdrom, devtype=cdrom or VDEV:cdrom) is not supported: chaos attaches disks");
    }
    if (!disk.format.equals("raw")) {
      return Optional.of(
          "format "
              + (disk.formatPrefix != null ? disk.formatPrefix : "'" + disk.format + "'")
              + " is not supported: chaos attaches raw images and block devices");
    }
    if (disk.script != null) {
      return Optional.of(
          (disk.scriptPrefix != null
                  ? "the prefix " + disk.scriptPrefix + " (script " + disk.script + ")"
                  : "script=" + disk.script)
              + " is not supported: chaos runs no block script");
    }
    if (disk.backendType != null && !disk.backendType.equals("phy")) {
      return Optional.of(
          "backendtype="
              + disk.backendType
              + " is not supported: chaos's disks are served by Dom0's blkback (phy)");
    }
    if (disk.backend != null
        && !disk.backend.isEmpty()
        && !disk.backend.equals("0")
        && !disk.backend.equals("Domain-0")) {
      return Optional.of(
          "backend=" + disk.backend + " is not supported: chaos's back ends run in Domain-0");
    }
    if ("virtio".equals(disk.specification)) {
      return Optional.of("specification=virtio is not supported: chaos's disks are Xen PV disks");
    }
    if (disk.colo || !disk.coloSettings.isEmpty()) {
      return Optional.of(
          (disk.coloSettings.isEmpty() ? "colo" : disk.coloSettings.get(0))
              + " is not supported: chaos has no COLO replication");
    }
    return Optional.empty();
  }
}
