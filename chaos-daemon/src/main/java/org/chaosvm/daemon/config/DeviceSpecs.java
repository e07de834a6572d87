package org.chaosvm.daemon.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chaosvm.libxc.NetInterfaces;
import org.chaosvm.libxc.SplitDevice;

/** xl's device strings: {@code vif} ("key=value,...") and {@code disk} (positional or keyed). */
final class DeviceSpecs {
  private static final List<String> VIF_KEYS =
      List.of("mac", "bridge", "ip", "vifname", "rate", "mtu");

  private DeviceSpecs() {}

  static VifSpec vif(Path file, int line, int column, String spec) throws ConfigException {
    Map<String, String> settings = new TreeMap<>();
    for (String item : items(spec)) {
      int eq = item.indexOf('=');
      String key = eq < 0 ? item : item.substring(0, eq).trim();
      if (eq < 0 || !VIF_KEYS.contains(key)) {
        throw new ConfigException(
            file,
            line,
            column,
            "vif setting '"
                + item
                + "' is not supported: use "
                + String.join(", ", VIF_KEYS)
                + " (as key=value)");
      }
      if (settings.put(key, item.substring(eq + 1).trim()) != null) {
        throw new ConfigException(file, line, column, "vif sets '" + key + "' twice");
      }
    }
    Optional<String> mac =
        Optional.ofNullable(settings.get("mac")).map(m -> m.toLowerCase(Locale.ROOT));
    if (mac.isPresent() && !mac.get().matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
      throw new ConfigException(
          file,
          line,
          column,
          "vif mac '" + mac.get() + "' is not a MAC address such as 00:16:3e:12:34:56");
    }
    if (mac.isPresent() && (Integer.parseInt(mac.get().substring(0, 2), 16) & 1) != 0) {
      throw new ConfigException(
          file,
          line,
          column,
          "vif mac '" + mac.get() + "' is a multicast address: an interface needs a unicast one");
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
      try {
        mtu = Optional.of(Integer.parseInt(settings.get("mtu")));
      } catch (NumberFormatException e) {
        throw new ConfigException(
            file, line, column, "vif mtu '" + settings.get("mtu") + "' is not a number");
      }
      if (mtu.get() < 68 || mtu.get() > 65535) {
        throw new ConfigException(
            file, line, column, "vif mtu " + mtu.get() + " is not between 68 and 65535");
      }
    }
    return new VifSpec(mac, bridge, Optional.ofNullable(settings.get("ip")), vifname, rate, mtu);
  }

  private static final Pattern RATE =
      Pattern.compile("([0-9]+)([KMG]?)([Bb])/s(?:@([0-9]+)(s|ms|us))?");

  /**
   * xl's rate: {@code AMOUNT[K|M|G](B|b)/s[@INTERVAL(s|ms|us)]}, B bytes and b bits, the prefixes
   * decimal, the interval 50 ms when not given; as netback takes it, bytes per interval.
   */
  static VifSpec.Rate rate(Path file, int line, int column, String text) throws ConfigException {
    Matcher m = RATE.matcher(text);
    if (!m.matches()) {
      throw new ConfigException(
          file, line, column, "vif rate '" + text + "' is not a rate such as 10Mb/s or 5MB/s@20ms");
    }
    try {
      long amount = Long.parseLong(m.group(1));
      long scale =
          switch (m.group(2)) {
            case "K" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            default -> 1L;
          };
      long bytesPerSecond = Math.multiplyExact(amount, scale);
      if (m.group(3).equals("b")) {
        bytesPerSecond /= 8;
      }
      long interval = 50_000;
      if (m.group(4) != null) {
        long number = Long.parseLong(m.group(4));
        interval =
            switch (m.group(5)) {
              case "s" -> Math.multiplyExact(number, 1_000_000L);
              case "ms" -> Math.multiplyExact(number, 1_000L);
              default -> number;
            };
      }
      if (bytesPerSecond == 0 || interval == 0 || interval > 0xffffffffL) {
        throw new ConfigException(
            file, line, column, "vif rate '" + text + "' gives no bytes or no interval");
      }
      long perInterval = Math.multiplyExact(bytesPerSecond, interval) / 1_000_000L;
      return new VifSpec.Rate(Math.max(1, perInterval), interval, text);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new ConfigException(file, line, column, "vif rate '" + text + "' is too large");
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
        disk.trusted == null || disk.trusted,
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
    if (Boolean.TRUE.equals(disk.colo) || !disk.coloSettings.isEmpty()) {
      return Optional.of(
          (disk.coloSettings.isEmpty() ? "colo" : disk.coloSettings.get(0))
              + " is not supported: chaos has no COLO replication");
    }
    return Optional.empty();
  }

  private static List<String> items(String spec) {
    List<String> items = new ArrayList<>();
    for (String item : spec.split(",")) {
      if (!item.isBlank()) {
        items.add(item.trim());
      }
    }
    return items;
  }
}
