package org.chaosvm.daemon.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.chaosvm.daemon.config.XlSyntax.Lst;
import org.chaosvm.daemon.config.XlSyntax.Num;
import org.chaosvm.daemon.config.XlSyntax.Setting;
import org.chaosvm.daemon.config.XlSyntax.Str;
import org.chaosvm.daemon.config.XlSyntax.Value;

/**
 * Reads an xl.cfg for a PV guest into a {@link GuestConfig}. The keys chaos knows are those of a PV
 * guest (see docs/config.md); any other key is an error naming it and its line, never silently
 * ignored, since a setting chaos did not apply would leave the guest other than its config says.
 */
public final class XlConfigReader {
  static final Set<String> KEYS =
      Set.of(
          "name",
          "type",
          "kernel",
          "ramdisk",
          "cmdline",
          "root",
          "extra",
          "memory",
          "maxmem",
          "vcpus",
          "maxvcpus",
          "cpus",
          "uuid",
          "on_poweroff",
          "on_reboot",
          "on_crash",
          "vif",
          "disk",
          "dev_method",
          "bootloader",
          "bootloader_args");

  private final Path file;
  private final Map<String, Setting> settings;

  private XlConfigReader(Path file, Map<String, Setting> settings) {
    this.file = file;
    this.settings = settings;
  }

  /** Reads {@code text}, the contents of {@code file} (which names the errors' place). */
  public static GuestConfig read(Path file, String text) throws ConfigException {
    return new XlConfigReader(file, XlSyntax.parse(file, text)).guest();
  }

  private GuestConfig guest() throws ConfigException {
    for (Setting setting : settings.values()) {
      if (!KEYS.contains(setting.key())) {
        throw error(setting, "unknown or unsupported key '" + setting.key() + "'");
      }
    }
    Optional<Setting> type = setting("type");
    if (type.isPresent() && !string(type.get()).equals("pv")) {
      throw error(
          type.get().value(),
          "type \""
              + string(type.get())
              + "\" is not supported: chaos creates PV guests (type = \"pv\")");
    }
    String name = string(required("name"));
    validateName(required("name"), name);
    Optional<Bootloader> bootloader = bootloader();
    Path kernel;
    Optional<Path> ramdisk;
    if (bootloader.isPresent()) {
      kernel = Path.of(bootloader.get().program()); // until the bootloader has run
      ramdisk = Optional.empty();
    } else {
      kernel = path(required("kernel"));
      Optional<Setting> ramdiskSetting = setting("ramdisk");
      ramdisk =
          ramdiskSetting.isEmpty() ? Optional.empty() : Optional.of(path(ramdiskSetting.get()));
    }

    int memory = positiveInt("memory").orElse(GuestConfig.DEFAULT_MEMORY_MIB);
    int maxMemory = positiveInt("maxmem").orElse(memory);
    if (maxMemory < memory) {
      throw error(
          settings.get("maxmem").value(),
          "maxmem (" + maxMemory + ") is less than memory (" + memory + ")");
    }
    int vcpus = positiveInt("vcpus").orElse(1);
    int maxVcpus = positiveInt("maxvcpus").orElse(vcpus);
    if (maxVcpus < vcpus) {
      throw error(
          settings.get("maxvcpus").value(),
          "maxvcpus (" + maxVcpus + ") is less than vcpus (" + vcpus + ")");
    }

    return new GuestConfig(
        name,
        kernel,
        ramdisk,
        commandLine(),
        memory,
        maxMemory,
        vcpus,
        maxVcpus,
        cpus(),
        uuid(),
        action("on_poweroff", LifecycleAction.DESTROY),
        action("on_reboot", LifecycleAction.RESTART),
        action("on_crash", LifecycleAction.DESTROY),
        vifs(),
        disks(),
        false,
        devices(),
        bootloader);
  }

  /**
   * xl's {@code bootloader} and {@code bootloader_args} (a list, or as xl still takes it, a string
   * split at blanks); with a bootloader, {@code kernel} and {@code ramdisk} are paths on the
   * guest's disk, which the bootloader is given.
   */
  private Optional<Bootloader> bootloader() throws ConfigException {
    Optional<Setting> setting = setting("bootloader");
    if (setting.isEmpty()) {
      Optional<Setting> args = setting("bootloader_args");
      if (args.isPresent()) {
        throw error(args.get(), "bootloader_args is given, but no bootloader");
      }
      return Optional.empty();
    }
    String program = string(setting.get());
    if (program.isBlank()) {
      throw error(setting.get().value(), "bootloader is empty: give \"pygrub\" or none");
    }
    if (setting("disk").isEmpty()) {
      throw error(
          setting.get(),
          "bootloader \""
              + program
              + "\" boots the guest from its first disk, and there is no disk");
    }
    List<String> args = new ArrayList<>();
    Optional<Setting> argsSetting = setting("bootloader_args");
    if (argsSetting.isPresent() && argsSetting.get().value() instanceof Str s) {
      Arrays.stream(s.text().split("[ \t\n]+")).filter(a -> !a.isEmpty()).forEach(args::add);
    } else {
      stringList("bootloader_args").forEach(arg -> args.add(arg.text()));
    }
    return Optional.of(
        new Bootloader(program, args, optionalString("kernel"), optionalString("ramdisk")));
  }

  /** chaos's own key: {@code dev_method = "noxs"} or {@code "xenstore"} (xl has none). */
  private Optional<DeviceMechanism> devices() throws ConfigException {
    Optional<Setting> setting = setting("dev_method");
    if (setting.isEmpty()) {
      return Optional.empty();
    }
    String word = string(setting.get());
    Optional<DeviceMechanism> mechanism = DeviceMechanism.parse(word);
    if (mechanism.isEmpty()) {
      throw error(
          setting.get().value(), "dev_method \"" + word + "\" is not \"xenstore\" or \"noxs\"");
    }
    return mechanism;
  }

  /** As xl: {@code cmdline} when given, else "root=ROOT EXTRA". */
  private String commandLine() throws ConfigException {
    Optional<String> cmdline = optionalString("cmdline");
    Optional<String> root = optionalString("root");
    Optional<String> extra = optionalString("extra");
    if (cmdline.isPresent()) {
      if (root.isPresent() || extra.isPresent()) {
        Setting other = settings.getOrDefault("root", settings.get("extra"));
        throw error(other, "cmdline replaces root and extra: give either cmdline or root/extra");
      }
      return cmdline.get();
    }
    StringBuilder line = new StringBuilder();
    root.ifPresent(r -> line.append("root=").append(r));
    extra.ifPresent(e -> line.append(line.length() > 0 ? " " : "").append(e));
    return line.toString();
  }

  private Path path(Setting setting) throws ConfigException {
    return ConfigPaths.of(
        file, setting.value().line(), setting.value().column(), setting.key(), string(setting));
  }

  /**
   * CPU numbers go up to Xen 4.17's most CPUs (NR_CPUS is at most 4095), checked before a set is
   * made: a range's size is the set's.
   */
  static final int MAX_CPUS = 4095;

  private Optional<BitSet> cpus() throws ConfigException {
    Optional<Setting> setting = setting("cpus");
    if (setting.isEmpty()) {
      return Optional.empty();
    }
    Value value = setting.get().value();
    BitSet set = new BitSet();
    if (value instanceof Str s) {
      if (s.text().equals("all")) {
        return Optional.empty();
      }
      parseCpuRanges(s, set);
    } else if (value instanceof Lst list) {
      for (Value item : list.items()) {
        if (item instanceof Num n && n.number() >= 0 && n.number() < MAX_CPUS) {
          set.set((int) n.number());
        } else if (item instanceof Num n) {
          throw error(item, "CPU " + n.text() + " is not between 0 and " + (MAX_CPUS - 1));
        } else if (item instanceof Str s) {
          parseCpuRanges(s, set);
        } else {
          throw error(item, "cpus lists CPU numbers or ranges such as \"0-3\"");
        }
      }
    } else {
      throw error(value, "cpus is a string such as \"0-3,6\" or a list, not " + value.describe());
    }
    return Optional.of(set);
  }

  private void parseCpuRanges(Str spec, BitSet set) throws ConfigException {
    for (String part : spec.text().split(",")) {
      String[] range = part.trim().split("\\s*-\\s*", -1);
      // ASCII digits only (parseLong takes any script's), at most 18 of them (no overflow).
      if (range.length > 2 || !Arrays.stream(range).allMatch(n -> n.matches("[0-9]{1,18}"))) {
        throw error(
            spec, "'" + part.trim() + "' in cpus is not a CPU number or a range such as 0-3");
      }
      long from = Long.parseLong(range[0]);
      long to = range.length == 2 ? Long.parseLong(range[1]) : from;
      if (to < from) {
        throw error(spec, "'" + part.trim() + "' in cpus is a range that ends before it starts");
      }
      if (to >= MAX_CPUS) {
        throw error(spec, "'" + part.trim() + "' in cpus goes beyond CPU " + (MAX_CPUS - 1));
      }
      set.set((int) from, (int) to + 1);
    }
  }

  private Optional<UUID> uuid() throws ConfigException {
    Optional<Setting> setting = setting("uuid");
    if (setting.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(UUID.fromString(string(setting.get())));
    } catch (IllegalArgumentException e) {
      throw error(setting.get().value(), "uuid '" + string(setting.get()) + "' is not a UUID");
    }
  }

  private LifecycleAction action(String key, LifecycleAction fallback) throws ConfigException {
    Optional<Setting> setting = setting(key);
    if (setting.isEmpty()) {
      return fallback;
    }
    String name = string(setting.get());
    return LifecycleAction.fromXlName(name)
        .orElseThrow(
            () ->
                error(
                    setting.get().value(),
                    key
                        + " = \""
                        + name
                        + "\" is not supported: use destroy, restart or preserve"));
  }

  private List<VifSpec> vifs() throws ConfigException {
    List<VifSpec> vifs = new ArrayList<>();
    for (Str spec : stringList("vif")) {
      vifs.add(DeviceSpecs.vif(file, spec.line(), spec.column(), spec.text()));
    }
    return vifs;
  }

  private List<DiskSpec> disks() throws ConfigException {
    List<DiskSpec> disks = new ArrayList<>();
    for (Str spec : stringList("disk")) {
      disks.add(DeviceSpecs.disk(file, spec.line(), spec.column(), spec.text()));
    }
    return disks;
  }

  private List<Str> stringList(String key) throws ConfigException {
    Optional<Setting> setting = setting(key);
    if (setting.isEmpty()) {
      return List.of();
    }
    if (!(setting.get().value() instanceof Lst list)) {
      throw error(setting.get().value(), key + " is a list of strings, such as [ \"...\" ]");
    }
    List<Str> strings = new ArrayList<>();
    for (Value item : list.items()) {
      if (!(item instanceof Str s)) {
        throw error(item, key + " lists strings, not " + item.describe());
      }
      strings.add(s);
    }
    return strings;
  }

  private void validateName(Setting setting, String name) throws ConfigException {
    Optional<String> problem = GuestNames.problem(name);
    if (problem.isPresent()) {
      throw error(setting.value(), problem.get());
    }
  }

  private Optional<Setting> setting(String key) {
    return Optional.ofNullable(settings.get(key));
  }

  private Setting required(String key) throws ConfigException {
    Setting setting = settings.get(key);
    if (setting == null) {
      throw new ConfigException(file, 0, 0, "'" + key + "' is missing: a PV guest needs it");
    }
    return setting;
  }

  private Optional<String> optionalString(String key) throws ConfigException {
    Optional<Setting> setting = setting(key);
    return setting.isEmpty() ? Optional.empty() : Optional.of(string(setting.get()));
  }

  private String string(Setting setting) throws ConfigException {
    if (setting.value() instanceof Str s) {
      return s.text();
    }
    throw error(
        setting.value(),
        setting.key() + " is a string, such as \"...\", not " + setting.value().describe());
  }

  private Optional<Integer> positiveInt(String key) throws ConfigException {
    Optional<Setting> setting = setting(key);
    if (setting.isEmpty()) {
      return Optional.empty();
    }
    if (setting.get().value() instanceof Num n
        && n.number() > 0
        && n.number() <= Integer.MAX_VALUE) {
      return Optional.of((int) n.number());
    }
    throw error(
        setting.get().value(),
        key + " is a whole number above 0, not " + describe(setting.get().value()));
  }

  private static String describe(Value value) {
    return value instanceof Num n ? n.text() : value.describe();
  }

  private ConfigException error(Setting setting, String problem) {
    return new ConfigException(file, setting.line(), setting.column(), problem);
  }

  private ConfigException error(Value value, String problem) {
    return new ConfigException(file, value.line(), value.column(), problem);
  }
}
