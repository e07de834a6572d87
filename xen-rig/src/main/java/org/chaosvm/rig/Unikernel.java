package org.chaosvm.rig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * chaos's own unikernel (unikernel/ in the checkout, built by the project's build): a PV guest of a
 * few KB that prints {@value #BOOTED} first thing, then acts according to its {@link Mode}.
 */
public final class Unikernel {
  /** The start of its first console line. */
  public static final String BOOTED = "chaos unikernel: booted";

  /** The start of the line that sums up its device page (noxs), printed after {@link #BOOTED}'s. */
  public static final String DEVICE_PAGE = "chaos unikernel: device page version ";

  /** The start of the line it prints once its noxs control device is connected. */
  public static final String CONTROL_CONNECTED = "chaos unikernel: control device connected";

  /** The start of the line it prints before acting on a control request ("... poweroff"). */
  public static final String CONTROL_REQUEST = "chaos unikernel: control: ";

  /** The start of the line noop prints for each line typed on its console ("... LINE"). */
  public static final String CONSOLE_INPUT = "chaos unikernel: console input: ";

  /** The start of the line net and hostile print once their noxs vif is connected. */
  public static final String VIF_CONNECTED = "chaos unikernel: vif 0 connected: ";

  /** The start of each of count's lines, before its number. */
  public static final String COUNT = "chaos unikernel: count ";

  /** The line it prints when a suspend returns in a restored domain. */
  public static final String RESUMED = "chaos unikernel: resumed in a new domain";

  /** The line it prints when a suspend was cancelled (the saved domain goes on). */
  public static final String SUSPEND_CANCELLED = "chaos unikernel: suspend cancelled, going on";

  /** The least memory xl.cfg can give, and enough for it. */
  public static final int MEMORY_MIB = 1;

  /** What it does after booting; its command line's first word. */
  public enum Mode {
    /** Print {@code chaos unikernel: noop, blocking} and block until destroyed. */
    NOOP("chaos unikernel: noop, blocking"),
    /** Print {@code chaos unikernel: hello, world; powering off} and power off. */
    HELLO("chaos unikernel: hello, world; powering off"),
    /** Print {@code chaos unikernel: crashing on purpose} and crash (Xen sees a crash). */
    CRASH("chaos unikernel: crashing on purpose"),
    /** Try to add an entry to its own device page, print Xen's answer and power off. */
    DEVCTL_ADD("chaos unikernel: devctl add to its own page: "),
    /** Try to map its device page writable, print Xen's answer and power off. */
    MAP_WRITABLE("chaos unikernel: writable mapping of its device page: "),
    /** Like {@link #NOOP}, but never answer a request of the noxs control device. */
    IGNORE("chaos unikernel: ignoring control requests, blocking"),
    /**
     * Like {@link #NOOP}, and answer ARP and ping on its noxs vif for the address after the word
     * ({@code cmdline = "net 10.0.0.20"}, see {@link #withAddress}).
     */
    NET("chaos unikernel: net, answering ARP and ping"),
    /** Connect its noxs vif, then scribble on its control page and flood its channels forever. */
    HOSTILE("chaos unikernel: hostile: scribbling on the vif's page and flooding its channels"),
    /**
     * Print {@code chaos unikernel: count N} every second, N from 1 on; it can be suspended (saved,
     * migrated) and counts on after a restore where it left off ({@link #COUNT}).
     */
    COUNT("chaos unikernel: count, a line a second");

    /** The line it prints after {@link #BOOTED}'s. */
    public final String line;

    Mode(String line) {
      this.line = line;
    }

    public String argument() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The config setting of this mode's command line with an address: net and hostile. */
    public String withAddress(String address) {
      return "cmdline = \"" + argument() + " " + address + "\"";
    }
  }

  private Unikernel() {}

  /** The image: RIG_UNIKERNEL, else the build's output in the checkout (the working directory). */
  public static Path image() {
    return TestGuest.imagePath("RIG_UNIKERNEL", "unikernel/target/chaos-unikernel")
        .toAbsolutePath();
  }

  /**
   * An xl.cfg for the unikernel in {@code mode}, named {@code name}, with {@value #MEMORY_MIB} MiB,
   * destroyed on poweroff and crash. Each of {@code settings} ("key = value") replaces the setting
   * of its key or is added.
   */
  public static String xlConfig(String name, Mode mode, String... settings) {
    Map<String, String> config = new LinkedHashMap<>();
    for (String setting :
        List.of(
            "name = \"" + name + "\"",
            "type = \"pv\"",
            "kernel = \"" + image() + "\"",
            "cmdline = \"" + mode.argument() + "\"",
            "memory = " + MEMORY_MIB,
            "vcpus = 1",
            "on_poweroff = \"destroy\"",
            "on_crash = \"destroy\"")) {
      config.put(keyOf(setting), setting);
    }
    for (String setting : settings) {
      config.put(keyOf(setting), setting);
    }
    return String.join("\n", config.values()) + "\n";
  }

  /** The last number the count mode printed on {@code console}. */
  public static long lastCount(ConsoleLog console) {
    return console.lines().stream()
        .filter(line -> line.startsWith(COUNT))
        .map(line -> line.substring(COUNT.length()).strip())
        .filter(number -> !number.isEmpty() && number.chars().allMatch(Character::isDigit))
        .mapToLong(Long::parseLong)
        .max()
        .orElseThrow();
  }

  private static String keyOf(String setting) {
    int equals = setting.indexOf('=');
    if (equals < 0) {
      throw new IllegalArgumentException("not a setting (key = value): " + setting);
    }
    return setting.substring(0, equals).strip();
  }

  /** Writes {@link #xlConfig} to {@code dir/NAME.cfg} and returns its path. */
  public static Path writeXlConfig(Path dir, String name, Mode mode, String... lines) {
    Path file = dir.resolve(name + ".cfg");
    try {
      Files.writeString(file, xlConfig(name, mode, lines));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return file;
  }
}
