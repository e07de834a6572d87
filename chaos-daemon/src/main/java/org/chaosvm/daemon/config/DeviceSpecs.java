package org.chaosvm.daemon.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** xl's device strings: {@code vif} ("key=value,...") and {@code disk} (positional or keyed). */
final class DeviceSpecs {
  private static final List<String> VIF_KEYS =
      List.of("mac", "bridge", "ip", "vifname", "rate", "mtu");
  private static final List<String> DISK_KEYS = List.of("target", "format", "vdev", "access");

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
    Optional<String> mac = Optional.ofNullable(settings.get("mac"));
    if (mac.isPresent() && !mac.get().matches("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}")) {
      throw new ConfigException(
          file,
          line,
          column,
          "vif mac '" + mac.get() + "' is not a MAC address such as 00:16:3e:12:34:56");
    }
    Optional<Integer> mtu = Optional.empty();
    if (settings.containsKey("mtu")) {
      try {
        mtu = Optional.of(Integer.parseInt(settings.get("mtu")));
      } catch (NumberFormatException e) {
        throw new ConfigException(
            file, line, column, "vif mtu '" + settings.get("mtu") + "' is not a number");
      }
    }
    return new VifSpec(
        mac,
        Optional.ofNullable(settings.get("bridge")),
        Optional.ofNullable(settings.get("ip")),
        Optional.ofNullable(settings.get("vifname")),
        Optional.ofNullable(settings.get("rate")),
        mtu);
  }

  /**
   * xl's disk syntax: keyed settings ({@code target=, format=, vdev=, access=}) and positional ones
   * in the order target, format, vdev, access; or the legacy {@code PREFIX:TARGET,VDEV,ACCESS} form
   * ({@code phy:/dev/sdb,xvdb,w}).
   */
  static DiskSpec disk(Path file, int line, int column, String spec) throws ConfigException {
    Map<String, String> settings = new TreeMap<>();
    List<String> positional = new ArrayList<>();
    for (String item : items(spec)) {
      int eq = item.indexOf('=');
      if (eq > 0 && DISK_KEYS.contains(item.substring(0, eq).trim())) {
        settings.put(item.substring(0, eq).trim(), item.substring(eq + 1).trim());
      } else if (eq > 0) {
        throw new ConfigException(
            file,
            line,
            column,
            "disk setting '" + item + "' is not supported: use " + String.join(", ", DISK_KEYS));
      } else {
        positional.add(item);
      }
    }
    List<String> order =
        positional.size() == 3 && positional.get(0).contains(":")
            ? List.of("target", "vdev", "access")
            : DISK_KEYS;
    if (positional.size() > order.size()) {
      throw new ConfigException(
          file,
          line,
          column,
          "disk '" + spec + "' has more than " + order.size() + " positional settings");
    }
    for (int i = 0; i < positional.size(); i++) {
      if (settings.put(order.get(i), positional.get(i)) != null) {
        throw new ConfigException(file, line, column, "disk sets '" + order.get(i) + "' twice");
      }
    }
    String target = settings.get("target");
    String vdev = settings.get("vdev");
    if (target == null || target.isEmpty()) {
      throw new ConfigException(
          file,
          line,
          column,
          "disk '" + spec + "' names no target (the image file or phy:/dev/...)");
    }
    if (vdev == null || !vdev.matches("(xvd|hd|sd)[a-z]+[0-9]*")) {
      throw new ConfigException(
          file,
          line,
          column,
          "disk '"
              + spec
              + "' needs a vdev such as xvda, not "
              + (vdev == null ? "none" : "'" + vdev + "'"));
    }
    String format = settings.getOrDefault("format", "raw").toLowerCase(Locale.ROOT);
    if (!format.equals("raw")) {
      throw new ConfigException(
          file,
          line,
          column,
          "disk format '" + format + "' is not supported: chaos attaches raw disks");
    }
    String access = settings.getOrDefault("access", "rw").toLowerCase(Locale.ROOT);
    boolean writable;
    switch (access) {
      case "rw", "w" -> writable = true;
      case "ro", "r" -> writable = false;
      default ->
          throw new ConfigException(
              file, line, column, "disk access '" + access + "' is not r, ro, w or rw");
    }
    return new DiskSpec(target, format, vdev, writable);
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
