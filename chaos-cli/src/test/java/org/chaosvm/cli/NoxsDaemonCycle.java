package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.chaosvm.daemon.config.XlConfigReader;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.EventChannelStatus;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.noxs.NoxsNetback;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Probes;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * noxs guests under chaos-daemon, the same cycle for a Dom0 with xenstored ({@link
 * DaemonUnikernelE2ETest}) and one without ({@link DaemonNoXenstoreE2ETest}): the unikernel from a
 * pool of noxs shells, its device page in its console, which {@code chaos console} shows and types
 * into through the daemon; powered off and rebooted through its control device; a guest that never
 * answers refused after the time limit, then destroyed. Domains are read from Xen (libxenctrl),
 * never through xl, which needs xenstored. Nothing is left: no domain, no record, no console log
 * open.
 */
abstract class NoxsDaemonCycle {
  static final Duration LIMIT = DaemonProcess.LIMIT;
  static final boolean PATCHED = !"stock".equals(System.getenv("RIG_XEN"));

  @TempDir static Path dir;
  static DaemonProcess daemon;
  static Path state;
  static Path logs;
  private static List<String> daemonOptions = List.of();
  private static String[] daemonPool = {};

  /**
   * The class's daemon, with {@code options} and the {@code pool} targets (on the patched Xen, one
   * 1 MiB noxs shell besides), its records and logs in the test's folder.
   */
  static void startDaemon(List<String> options, String... pool) throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    state = dir.resolve("state");
    logs = dir.resolve("log");
    daemonOptions = options;
    List<String> targets = new ArrayList<>(List.of(pool));
    if (PATCHED) {
      targets.add(NOXS_SHELLS + "=1");
    }
    daemonPool = targets.toArray(String[]::new);
    daemon = newDaemon();
  }

  static DaemonProcess newDaemon() throws Exception {
    List<String> options = new ArrayList<>(daemonOptions);
    options.addAll(List.of("--state-dir", state.toString(), "--log-dir", logs.toString()));
    return new DaemonProcess(dir).option(options.toArray(String[]::new)).start(daemonPool);
  }

  /**
   * The cycle needs the patched hypervisor; on RIG_XEN=stock its tests are skipped, and only
   * theirs: a subclass's own tests may be for either hypervisor.
   */
  private static void requireNoxs() {
    assumeTrue(PATCHED, "RIG_XEN=stock: no noxs");
  }

  /** Stops the daemon; only Domain-0 may be left, and no record. */
  static void stopDaemon() throws Exception {
    if (daemon == null) {
      return;
    }
    System.out.println("--- chaos-daemon's log ---\n" + daemon.stop());
    awaitDomains(Set.of(0));
    assertEquals(List.of(), records(), "the daemon left noxs records behind");
  }

  /**
   * The guests a failed test left, destroyed: the next test starts from the pool alone, and fails
   * (or passes) on its own account.
   */
  @AfterEach
  void destroyLeftGuests() throws InterruptedException {
    if (daemon == null) {
      return;
    }
    for (String name : daemon.destroyGuests()) {
      awaitGone(name);
    }
  }

  static DaemonProcess.Run chaos(String... args) {
    return daemon.chaos(args);
  }

  static String awaitListed(String name, String line) throws InterruptedException {
    return daemon.awaitListed(name, line);
  }

  /** The unikernel as a noxs guest: {@code dev_method = "noxs"}. */
  static Path noxsConfig(String name, Unikernel.Mode mode, String... settings) {
    return noxsConfigIn(dir, name, mode, settings);
  }

  /** As {@link #noxsConfig}, written in {@code folder}. */
  static Path noxsConfigIn(Path folder, String name, Unikernel.Mode mode, String... settings) {
    String[] all = new String[settings.length + 1];
    all[0] = "dev_method = \"noxs\"";
    System.arraycopy(settings, 0, all, 1, settings.length);
    return Unikernel.writeXlConfig(folder, name, mode, all);
  }

  /** A noxs guest's console as the daemon logs it. */
  static ConsoleLog console(String name) {
    return new ConsoleLog(logs.resolve("console").resolve(name + ".log"));
  }

  @Test
  void aPooledGuestShowsItsDevicePageOnChaosConsoleAndPowersOffThroughItsControlDevice()
      throws Exception {
    requireNoxs();
    daemon.awaitPool(NOXS_SHELLS, 1);
    assertEquals(1, grantedPages(), "pages the daemon grants, with one noxs shell and no guest");
    DaemonProcess.Run created =
        chaos("create", noxsConfig("nx-off", Unikernel.Mode.NOOP).toString());
    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from the pool"), created.out());
    int domid = DaemonTestBase.domidOf(created);
    ConsoleLog log = console("nx-off");
    assertTrue(log.awaitLineContaining(Unikernel.BOOTED, LIMIT).contains("(1024 KiB)"));
    String page = log.awaitLineContaining(Unikernel.DEVICE_PAGE, LIMIT);
    assertTrue(page.endsWith("1 devices"), page);
    log.awaitLineContaining("chaos unikernel: device control 0: back end 0", LIMIT);
    log.awaitLineContaining(Unikernel.CONTROL_CONNECTED, LIMIT);
    assertEquals(
        2, dom0ChannelsTo(domid).size(), "Dom0's ends of its console and its control device");

    // chaos console, through the daemon: the output so far, then a line typed and echoed.
    ConsoleClient attached = ConsoleClient.attach(daemon.socket, "nx-off");
    attached.awaitShown(Unikernel.DEVICE_PAGE, LIMIT);
    attached.type("hello from chaos console\r");
    attached.awaitShown(Unikernel.CONSOLE_INPUT + "hello from chaos console", LIMIT);

    // Paused, it takes what is typed into its input ring and answers once unpaused.
    DaemonProcess.Run paused = chaos("pause", "nx-off");
    assertEquals(0, paused.code(), paused.err());
    awaitListed("nx-off", "\\d+ .* paused");
    assertEquals(ExitCodes.FAILURE, chaos("pause", "nx-off").code(), "paused already");
    attached.type("typed while paused\r");
    assertEquals(0, chaos("unpause", "nx-off").code());
    awaitListed("nx-off", "\\d+ .* (running|blocked)");
    attached.awaitShown(Unikernel.CONSOLE_INPUT + "typed while paused", LIMIT);
    attached.type((byte) ConsoleCommand.DETACH);
    assertEquals(ExitCodes.OK, attached.code.get(60, TimeUnit.SECONDS), attached.err.toString());

    DaemonProcess.Run off = awaitAnswered("shutdown", "-w", "nx-off");
    assertEquals(0, off.code(), off.err());
    assertEquals("nx-off powered off\n", off.out());
    log.awaitLineContaining(Unikernel.CONTROL_REQUEST + "poweroff", LIMIT);
    awaitGone("nx-off");
    assertNothingLeftOf(domid, "nx-off");
  }

  @Test
  void rebootWithOnRebootRestartBringsItBackAsANewDomain() throws Exception {
    requireNoxs();
    DaemonProcess.Run created =
        chaos(
            "create",
            noxsConfig("nx-boot", Unikernel.Mode.NOOP, "on_reboot = \"restart\"").toString());
    assertEquals(0, created.code(), created.err());
    int first = DaemonTestBase.domidOf(created);

    assertEquals(0, awaitAnswered("reboot", "nx-boot").code());
    long deadline = System.nanoTime() + LIMIT.toNanos();
    int now = first;
    while (now == first && System.nanoTime() < deadline) {
      Thread.sleep(250);
      now = listedDomid("nx-boot");
    }
    assertNotEquals(first, now, "nx-boot was not restarted");
    assertEquals(0, awaitAnswered("shutdown", "-w", "nx-boot").code(), "the restarted one answers");
    awaitGone("nx-boot");
    assertNothingLeftOf(now, "nx-boot");
  }

  @Test
  void aGuestThatNeverAnswersGetsAClearErrorAndIsThenDestroyed() throws Exception {
    requireNoxs();
    DaemonProcess.Run created =
        chaos("create", noxsConfig("nx-deaf", Unikernel.Mode.IGNORE).toString());
    assertEquals(0, created.code(), created.err());
    int domid = DaemonTestBase.domidOf(created);
    awaitControlConnected("nx-deaf");

    DaemonProcess.Run off = chaos("shutdown", "-w", "nx-deaf");
    assertEquals(ExitCodes.FAILURE, off.code(), off.out());
    assertTrue(off.err().contains("did not answer the poweroff request within 5000 ms"), off.err());
    assertEquals(0, chaos("destroy", "nx-deaf").code());
    awaitGone("nx-deaf");
    assertNothingLeftOf(domid, "nx-deaf");
  }

  @Test
  void aGuestWithAVifAnswersPingFromDom0OverTheBridgeAndLeavesNoVifBehind() throws Exception {
    requireNoxs();
    String address = "10.0.0.20";
    DaemonProcess.Run created =
        chaos(
            "create",
            noxsConfig(
                    "nx-net",
                    Unikernel.Mode.NET,
                    Unikernel.Mode.NET.withAddress(address),
                    "vif = [ \"bridge=xenbr0\" ]")
                .toString());
    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from the pool"), created.out());
    int domid = DaemonTestBase.domidOf(created);
    String connected = console("nx-net").awaitLineContaining(Unikernel.VIF_CONNECTED, LIMIT);
    console("nx-net").awaitLineContaining(Unikernel.Mode.NET.line, LIMIT);
    String vif = "vif" + domid + ".0";
    DaemonProcess.Run vifs = chaos("network-list", "nx-net");
    assertEquals(0, vifs.code(), vifs.err());
    String mac = macOf(vifs.out());
    assertConnected(vifs.out(), vif);
    assertTrue(connected.endsWith(mac + " " + address), connected + " (chaos gave " + mac + ")");
    assertTrue(Files.exists(Path.of("/sys/class/net/xenbr0/brif", vif)), vif + " is not on xenbr0");

    Command.Result ping =
        Command.run(Duration.ofSeconds(60), "busybox", "ping", "-c", "3", "-W", "5", address);
    assertEquals(0, ping.exitCode(), ping.output());
    assertTrue(ping.output().contains("3 packets received"), ping.output());

    assertEquals(0, chaos("destroy", "nx-net").code());
    awaitGone("nx-net");
    assertNothingLeftOf(domid, "nx-net");
  }

  /**
   * The rig's Linux test guest (Debian's kernel) as a noxs guest: no XenStore channel, so its
   * xenbus does not hold up the boot, and its initramfs's noxs-front module says so in one line
   * (shown on the console by the guest's init); the module connects the control device and the vif
   * (eth0), which answers ping; {@code chaos shutdown -w} powers it off through the control device.
   */
  @Test
  void aLinuxGuestGetsItsVifAndControlDeviceWithoutXenStore() throws Exception {
    requireNoxs();
    String address = "10.0.0.30";
    Path config = dir.resolve("nx-linux.cfg");
    Files.writeString(
        config,
        TestGuest.xlConfig(
            "nx-linux",
            TestGuest.Mode.WAIT,
            "rig.ip=" + address + "/24",
            "dev_method = \"noxs\"",
            "vif = [ \"bridge=xenbr0\" ]"));
    DaemonProcess.Run created = chaos("create", config.toString());
    assertEquals(0, created.code(), created.err());
    int domid = DaemonTestBase.domidOf(created);
    ConsoleLog log = console("nx-linux");
    log.awaitLineContaining(
        "chaos-rig guest: kernel: noxs: no XenStore: xenbus waits for one in the background,"
            + " the boot went on; 2 devices from the device page",
        LIMIT);
    String up = log.awaitLineContaining("chaos-rig guest: eth0 up with " + address, LIMIT);
    String networkList = chaos("network-list", "nx-linux").out();
    String mac = macOf(networkList);
    assertTrue(up.contains("(mac " + mac + ")"), up + " (chaos gave " + mac + ")");
    assertConnected(networkList, "vif" + domid + ".0");
    Command.Result ping =
        Command.run(Duration.ofSeconds(60), "busybox", "ping", "-c", "3", "-W", "5", address);
    assertEquals(0, ping.exitCode(), ping.output());

    DaemonProcess.Run off = awaitAnswered("shutdown", "-w", "nx-linux");
    assertEquals(0, off.code(), off.err());
    log.awaitLineContaining("chaos-rig guest: powering off", LIMIT);
    awaitGone("nx-linux");
    assertNothingLeftOf(domid, "nx-linux");
  }

  /**
   * tinyx's redis VM built for noxs ({@code tinyx --noxs}: noxs-front in its small kernel, {@code
   * dev_method = "noxs"} in its vm.cfg, as xen-rig/lib/tinyx.sh builds it): created from a pooled
   * noxs shell of its size, it answers {@code redis-cli PING} from Dom0 over its noxs vif, and
   * {@code chaos shutdown -w} stops it through its control device (tinyx's init says it was asked
   * to). Nothing is left.
   */
  @Test
  void aTinyxRedisVmBuiltForNoxsAnswersPingFromThePoolAndShutsDownCleanly() throws Exception {
    requireNoxs();
    Path cfg = Path.of("target/tinyx/redis-noxs/vm.cfg").toAbsolutePath();
    assertTrue(Files.exists(cfg), cfg + " is missing: xen-rig/rig e2e builds it with tinyx first");
    String text = Files.readString(cfg);
    assertTrue(text.contains("dev_method = \"noxs\""), text);
    String report = Files.readString(cfg.resolveSibling("report.txt"));
    assertTrue(report.contains("XEN_NOXS_FRONT=y"), report);
    int memory = XlConfigReader.read(cfg, text).memoryMib();
    String shell = memory + "x1:noxs";
    assertEquals(0, chaos("pool", shell + "=1").code());
    try {
      daemon.awaitPool(shell, 1);
    } finally {
      // The shell made stays for the create; no other is made after it (the pool keeps shells
      // above their target), so the cycle's count of granted pages holds after the test.
      chaos("pool", shell + "=0");
    }
    DaemonProcess.Run created = chaos("create", cfg.toString());
    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from the pool"), created.out());
    int domid = DaemonTestBase.domidOf(created);
    long start = System.nanoTime();
    assertEquals("+PONG", Probes.awaitRedisPing("10.0.0.13", LIMIT));
    System.out.printf(
        "tinyx redis-noxs: +PONG %.1f s after the create returned%n",
        (System.nanoTime() - start) / 1e9);
    ConsoleLog log = console("redis-noxs");
    log.awaitLineContaining("tinyx: starting 'redis-server'", LIMIT);

    DaemonProcess.Run off = awaitAnswered("shutdown", "-w", "redis-noxs");
    assertEquals(0, off.code(), off.err());
    log.awaitLineContaining("tinyx: shutdown requested", LIMIT);
    awaitGone("redis-noxs");
    assertNothingLeftOf(domid, "redis-noxs");
  }

  /**
   * {@code chaos network-list} shows vif 0 as {@code ifname}, both ends Connected (XenbusState 4)
   * as the module has them.
   */
  static void assertConnected(String networkList, String ifname) {
    assertTrue(
        networkList.lines().anyMatch(l -> l.matches("0\\s+" + ifname + "\\s+4\\s+4\\s+.*")),
        networkList);
  }

  /** The MAC of the first vif in {@code chaos network-list}'s output. */
  static String macOf(String networkList) {
    java.util.regex.Matcher mac =
        java.util.regex.Pattern.compile("mac=([0-9a-f:]{17})").matcher(networkList);
    assertTrue(mac.find(), networkList);
    return mac.group(1);
  }

  /**
   * A request the guest may not be ready for yet (it connects its control device a moment after its
   * create returns): retried while the daemon says it has not connected.
   */
  static DaemonProcess.Run awaitAnswered(String... args) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    DaemonProcess.Run run = chaos(args);
    while (run.code() != 0 && run.err().contains("has not connected its control device")) {
      assertTrue(System.nanoTime() < deadline, run.err());
      Thread.sleep(250);
      run = chaos(args);
    }
    return run;
  }

  /** A guest that ignores requests still connects: wait until it has (the daemon says so). */
  private static void awaitControlConnected(String name) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (chaos("reboot", name).err().contains("has not connected its control device")) {
      assertTrue(System.nanoTime() < deadline, name + " never connected its control device");
      Thread.sleep(250);
    }
  }

  static int listedDomid(String name) throws Exception {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (true) {
      Optional<String> row =
          chaos("list").out().lines().filter(line -> line.startsWith(name + " ")).findFirst();
      if (row.isPresent()) {
        return Integer.parseInt(row.get().trim().split("\\s+")[1]);
      }
      assertTrue(System.nanoTime() < deadline, name + " is not listed");
      Thread.sleep(250);
    }
  }

  static void awaitGone(String name) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (chaos("list").out().lines().anyMatch(line -> line.startsWith(name + " "))) {
      assertTrue(System.nanoTime() < deadline, name + " is still listed");
      Thread.sleep(250);
    }
  }

  /**
   * A destroyed guest's domain is gone from Xen, dying ones included (Dom0 holding one of its pages
   * or grants would keep it dying), Dom0 keeps no event channel to it (a port of a channel whose
   * other end died stays, unbound, until Dom0 closes it), its record is removed, the daemon keeps
   * no console log open and no page granted to it: Dom0's grants are the pages the daemon shares
   * through gntalloc, each mapped in its address space until the share ends, and a granted page
   * does not keep the domain it was granted to from dying, so they are counted there: once the pool
   * is full again, one control page per noxs shell and none else.
   */
  static void assertNothingLeftOf(int domid, String name) throws Exception {
    awaitDomainsGone(Set.of(domid));
    assertEquals(List.of(), vifsOf(domid), "noxs vifs of " + name + "'s domain");
    try (var interfaces = Files.list(Path.of("/sys/class/net"))) {
      String prefix = "vif" + domid + ".";
      assertEquals(
          List.of(),
          interfaces
              .map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith(prefix))
              .toList(),
          "interfaces of " + name + "'s domain");
    }
    assertEquals(
        List.of(), dom0ChannelsTo(domid), "Dom0's event channels to " + name + "'s domain");
    assertFalse(records().contains(domid + ".json"), name + "'s record is left");
    Path fds = Path.of("/proc", Long.toString(daemon.pid()), "fd");
    Path logFile = console(name).file().toAbsolutePath();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (openBy(fds, logFile)) {
      assertTrue(System.nanoTime() < deadline, "the daemon keeps " + logFile + " open");
      Thread.sleep(100);
    }
    daemon.awaitPool(NOXS_SHELLS, 1);
    assertEquals(1, grantedPages(), "pages the daemon grants, with one noxs shell and no guest");
  }

  /** The pool's noxs size class (one shell of it). */
  static final String NOXS_SHELLS = "1x1:noxs";

  /** Pages the daemon shares with guests now: its mappings of Dom0's gntalloc device. */
  static long grantedPages() throws IOException {
    try (var maps = Files.lines(Path.of("/proc", Long.toString(daemon.pid()), "maps"))) {
      return maps.filter(line -> line.endsWith("/dev/xen/gntalloc")).count();
    }
  }

  private static boolean openBy(Path fds, Path file) throws IOException {
    try (var links = Files.list(fds)) {
      return links.anyMatch(
          link -> {
            try {
              return Files.readSymbolicLink(link).equals(file);
            } catch (IOException e) {
              return false; // closed meanwhile
            }
          });
    }
  }

  /** The vifs Dom0's noxs netback has for {@code domid}. */
  static List<NoxsNetback.Vif> vifsOf(int domid) {
    try (NoxsNetback netback = NoxsNetback.open()) {
      return netback.list().stream().filter(v -> v.domid().value() == domid).toList();
    }
  }

  /** Dom0's event channel ports whose other end is (or was) {@code domid}. */
  static List<EventChannelStatus> dom0ChannelsTo(int domid) {
    Optional<DomId> guest = Optional.of(DomId.of(domid));
    try (XenCtrl xc = XenCtrl.open()) {
      return xc.eventChannels(DomId.DOM0).stream().filter(c -> c.remote().equals(guest)).toList();
    }
  }

  /** The domids Xen has, dying ones included. */
  static Set<Integer> domids() {
    try (XenCtrl xc = XenCtrl.open()) {
      return xc.domainInfos().stream()
          .map(DomainInfo::domid)
          .map(d -> d.value())
          .collect(Collectors.toSet());
    }
  }

  /** A domain's handle (its UUID). */
  static UUID handleOf(int domid) {
    try (XenCtrl xc = XenCtrl.open()) {
      return xc.domainInfo(DomId.of(domid)).orElseThrow().handle();
    }
  }

  static void awaitDomainsGone(Set<Integer> gone) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (domids().stream().anyMatch(gone::contains)) {
      assertTrue(System.nanoTime() < deadline, "domains " + gone + " are still there: " + domids());
      Thread.sleep(250);
    }
  }

  static void awaitDomains(Set<Integer> expected) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!domids().equals(expected)) {
      assertTrue(System.nanoTime() < deadline, "domains " + domids() + ", not " + expected);
      Thread.sleep(250);
    }
  }

  /** Of the record files {@code names}, those written: a shell's is empty until its create. */
  static List<String> written(List<String> names) throws IOException {
    List<String> written = new ArrayList<>();
    for (String name : names) {
      if (Files.size(state.resolve("noxs").resolve(name)) > 0) {
        written.add(name);
      }
    }
    return written;
  }

  /** The noxs record files in the daemon's state folder, shells' empty ones included. */
  static List<String> records() throws IOException {
    Path noxs = state.resolve("noxs");
    if (!Files.isDirectory(noxs)) {
      return List.of();
    }
    try (var files = Files.list(noxs)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }
}
