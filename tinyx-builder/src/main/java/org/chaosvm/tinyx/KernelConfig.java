package org.chaosvm.tinyx;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the small kernel holds on top of {@code tinyconfig}: the config symbols a tinyx VM needs,
 * each with the reason it is there. The needs come from a small table: what every VM needs (a Xen
 * PV guest, its console, the root image and what tinyx's init mounts, what glibc and servers call),
 * what the VM's spec asks for (a network, DHCP, several vCPUs), what known packages of the image
 * need, and the symbols given with {@code --kernel-config}, which come last and win.
 */
final class KernelConfig {
  /** {@code CONFIG_NAME=VALUE}: a symbol with y, n, a number or a quoted string. */
  private static final Pattern ENTRY =
      Pattern.compile("(?:CONFIG_)?([A-Za-z0-9_]+)=(y|n|m|-?[0-9]+|0x[0-9a-fA-F]+|\"[^\"\\n]*\")");

  /** What every tinyx VM needs, whatever it runs. */
  private static final List<Need> BASE =
      List.of(
          need("a 64-bit Xen PV guest", "64BIT", "HYPERVISOR_GUEST", "PARAVIRT", "XEN", "XEN_PV"),
          need("the console (hvc0) and the kernel's messages", "TTY", "HVC_XEN", "PRINTK"),
          need(
              "the root image tinyx writes: a squashfs (lz4) on a RAM disk, with an overlay on"
                  + " tmpfs for writes",
              "BLK_DEV_INITRD",
              "BLOCK",
              "BLK_DEV",
              "BLK_DEV_RAM",
              "MISC_FILESYSTEMS",
              "SQUASHFS",
              "SQUASHFS_LZ4",
              "OVERLAY_FS",
              "TMPFS_XATTR"),
          need("programs and scripts", "BINFMT_ELF", "BINFMT_SCRIPT"),
          need(
              "what tinyx's init mounts: proc, sysfs, devtmpfs, devpts, tmpfs",
              "PROC_FS",
              "PROC_SYSCTL",
              "SYSFS",
              "DEVTMPFS",
              "UNIX98_PTYS",
              "SHMEM",
              "TMPFS"),
          need(
              "what glibc, BusyBox and servers call: users, futexes, epoll, timers, signal and"
                  + " event descriptors, file locks, madvise, System V IPC",
              "MULTIUSER",
              "FUTEX",
              "EPOLL",
              "POSIX_TIMERS",
              "SIGNALFD",
              "TIMERFD",
              "EVENTFD",
              "FILE_LOCKING",
              "ADVISE_SYSCALLS",
              "SYSVIPC"),
          need("sockets: Unix and TCP/IP (at least on loopback)", "NET", "UNIX", "INET"),
          need(
              "the random pool seeded from the CPU (RDRAND) at boot, as Debian's kernel has it:"
                  + " programs that call getrandom() (OpenSSL, redis) do not wait for entropy",
              "RANDOM_TRUST_CPU"));

  /** Known needs of packages in the image, by package name. */
  private static final Map<String, Need> PACKAGES =
      Map.of(
          "libaio1", need("libaio1 submits asynchronous I/O (io_submit)", "AIO"),
          "libfuse3-3", need("libfuse3-3 mounts FUSE file systems", "FUSE_FS"),
          "libfuse2", need("libfuse2 mounts FUSE file systems", "FUSE_FS"),
          "libinotifytools0", need("libinotifytools0 watches files (inotify)", "INOTIFY_USER"),
          "inotify-tools", need("inotify-tools watches files (inotify)", "INOTIFY_USER"));

  private final Map<String, String> values = new LinkedHashMap<>();
  private final Map<String, String> reasons = new LinkedHashMap<>();

  private KernelConfig() {}

  /**
   * The symbols a VM needs.
   *
   * @param spec the VM (network, address, vCPUs, extra symbols)
   * @param packages the packages of its image
   */
  static KernelConfig of(Spec spec, Collection<String> packages) {
    KernelConfig config = new KernelConfig();
    BASE.forEach(config::add);
    // Xen's domain builder puts a PV kernel at its physical address and needs the memory up to
    // its end and the ramdisk after it: at 16 MiB, the default, a small VM's memory is gone.
    config.put("PHYSICAL_START", "0x200000", "the kernel at 2 MiB of the VM's memory, not 16");
    config.put("BLK_DEV_RAM_COUNT", "1", "one RAM disk, the root's, not 16");
    // The domain builder unpacks the bzImage in Dom0 at each create: gzip (zlib) is several times
    // faster to unpack than tinyconfig's xz, for a kernel a third larger.
    config.put("KERNEL_XZ", "n", "a gzipped bzImage: the domain builder unpacks it faster");
    config.put("KERNEL_GZIP", "y", "a gzipped bzImage: the domain builder unpacks it faster");
    if (spec.noxs()) {
      config.add(
          need(
              "noxs's devices (--noxs): the control device and the vif from the device page,"
                  + " no XenStore (noxs-front)",
              "XEN_NOXS_FRONT"));
    }
    if (spec.network() && !spec.noxs()) {
      config.add(need("the VM's vif (netfront)", "NETDEVICES", "XEN_NETDEV_FRONTEND"));
    }
    if (spec.network() && spec.ip().filter("dhcp"::equals).isPresent()) {
      config.add(need("udhcpc (--ip dhcp) uses packet sockets", "PACKET"));
    }
    if (spec.vcpus() > 1) {
      config.add(need(spec.vcpus() + " vCPUs (--vcpus)", "SMP"));
      config.put("NR_CPUS", String.valueOf(Math.max(2, spec.vcpus())), "--vcpus");
    }
    packages.stream()
        .sorted()
        .filter(PACKAGES::containsKey)
        .forEach(p -> config.add(PACKAGES.get(p)));
    for (String entry : spec.kernel().config()) {
      Matcher m = entry(entry);
      config.put(m.group(1), m.group(2), "--kernel-config");
    }
    return config;
  }

  /** Checks the form of a {@code --kernel-config} entry. */
  static void check(String entry) {
    entry(entry);
  }

  /** A {@code --kernel-config} entry matched: the symbol, then its value. */
  private static Matcher entry(String entry) {
    Matcher m = ENTRY.matcher(entry);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--kernel-config "
              + entry.replaceAll("\\p{Cntrl}", "?")
              + " is not CONFIG_NAME=VALUE (y, n, a number or \"text\")");
    }
    return m;
  }

  private void add(Need need) {
    for (String symbol : need.symbols()) {
      put(symbol, "y", need.reason());
    }
  }

  private void put(String symbol, String value, String reason) {
    values.remove(symbol); // a later entry wins and comes last
    values.put(symbol, value);
    reasons.put(symbol, reason);
  }

  /** Each symbol (without {@code CONFIG_}) and its value, in the order they were added. */
  Map<String, String> values() {
    return java.util.Collections.unmodifiableMap(values);
  }

  /** The config fragment: one {@code CONFIG_NAME=VALUE} or {@code # ... is not set} a line. */
  String fragment() {
    StringBuilder s = new StringBuilder();
    values.forEach((symbol, value) -> s.append(line(symbol, value)).append('\n'));
    return s.toString();
  }

  /** The fragment's lines grouped by reason, for the report. */
  Map<String, List<String>> byReason() {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    values.forEach(
        (symbol, value) ->
            groups
                .computeIfAbsent(reasons.get(symbol), k -> new java.util.ArrayList<>())
                .add(symbol + "=" + value));
    return groups;
  }

  static String line(String symbol, String value) {
    return value.equals("n")
        ? "# CONFIG_" + symbol + " is not set"
        : "CONFIG_" + symbol + "=" + value;
  }

  private record Need(String reason, List<String> symbols) {}

  private static Need need(String reason, String... symbols) {
    return new Need(reason, List.of(symbols));
  }
}
