package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.ShutdownReason;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.libxc.XenStore;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Dom0Devices;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Guests' network interfaces and disks on real Xen: netback and blkback in Dom0, the rig's bridge
 * xenbr0 (Dom0 at 10.0.0.1), image files on loop devices, netfront and blkfront in the test guest.
 */
@Tag("xen")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(1) // with the other classes of the shared daemon, one after another
class DaemonDevicesE2ETest extends DaemonTestBase {
  private static final Duration BOOT = Duration.ofSeconds(180);

  /** An ext2 image holding {@code marker-in} with {@code text} ({@link TestGuest#markerDisk}). */
  private static Path image(String name, String text) {
    return TestGuest.markerDisk(dir, name, text);
  }

  private static Path writeConfig(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name + ".cfg"), text);
  }

  /** Nothing of the domain's devices is left in Dom0 (after a short grace for the kernel). */
  private static void assertNothingLeft(int domid, Path... images) throws Exception {
    List<String> remains = Dom0Devices.remains(domid, images);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!remains.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(200);
      remains = Dom0Devices.remains(domid, images);
    }
    assertEquals(List.of(), remains, "domain " + domid + "'s devices left these in Dom0");
  }

  private static boolean pings(String address) throws InterruptedException {
    for (int attempt = 0; attempt < 10; attempt++) {
      if (Command.run(LIMIT, "busybox", "ping", "-c", "1", "-W", "3", address).succeeded()) {
        return true;
      }
      Thread.sleep(1000);
    }
    return false;
  }

  @Test
  @Order(1)
  void guestWithAVifAndADiskAnswersPingAndWritesToItsDisk() throws Exception {
    Path image = image("e2e-net", "hello from Dom0");
    Path config =
        writeConfig(
            "e2e-net",
            TestGuest.xlConfig(
                "e2e-net",
                TestGuest.Mode.WAIT,
                "rig.ip=10.0.0.2/24 rig.disk=xvdb",
                "vif = [ 'bridge=xenbr0,ip=10.0.0.2' ]",
                // xl's keyed form, target last (it takes the rest of the spec).
                "disk = [ 'format=raw, vdev=xvdb, access=rw, no-discard, target=" + image + "' ]"));
    ConsoleLog console = ConsoleLog.of("e2e-net").sinceNow();

    DaemonProcess.Run created = chaos("create", config.toString());
    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("devices"), created.out());
    int domid = domidOf(created);
    assertEquals("xenbr0", Dom0Devices.bridgeOf("vif" + domid + ".0"));
    assertNodesAsLibxlLeavesThem(domid);

    String up = console.awaitLineContaining("eth0 up with 10.0.0.2/24", BOOT);
    assertTrue(up.contains("mac 00:16:3e:"), up);
    console.awaitLineContaining("disk xvdb says [hello from Dom0]", BOOT);
    console.awaitLineContaining("disk xvdb marker written", BOOT);
    assertTrue(pings("10.0.0.2"), "the guest does not answer ping over xenbr0");

    DaemonProcess.Run vifs = chaos("network-list", "e2e-net");
    assertEquals(0, vifs.code(), vifs.err());
    assertTrue(vifs.out().contains("vif" + domid + ".0"), vifs.out());
    assertTrue(vifs.out().contains("bridge=xenbr0"), vifs.out());
    DaemonProcess.Run disks = chaos("block-list", "e2e-net");
    assertTrue(disks.out().contains("xvdb"), disks.out());
    assertTrue(disks.out().contains("params=" + image), disks.out());
    String discard = "/local/domain/0/backend/vbd/" + domid + "/51728/discard-enable";
    assertEquals("0", Command.run(LIMIT, "xenstore-read", discard).orThrow().output().strip());

    assertEquals(0, chaos("destroy", "e2e-net").code());
    assertNothingLeft(domid, image);
    String marker =
        Command.run(LIMIT, "debugfs", "-R", "cat /marker-out", image.toString()).orThrow().output();
    assertTrue(marker.contains("written by the guest on xvdb"), marker);
  }

  @Test
  @Order(2)
  void secondVifAndDiskAttachAndDetachOnARunningGuest() throws Exception {
    Path first = image("e2e-hot-1", "first");
    Path second = image("e2e-hot-2", "second");
    Path config =
        writeConfig(
            "e2e-hot",
            TestGuest.xlConfig(
                "e2e-hot",
                TestGuest.Mode.DEVICES,
                "",
                "vif = [ 'bridge=xenbr0' ]",
                "disk = [ '" + first + ",raw,xvdb,rw' ]"));
    ConsoleLog console = ConsoleLog.of("e2e-hot").sinceNow();
    DaemonProcess.Run created = chaos("create", config.toString());
    assertEquals(0, created.code(), created.err());
    int domid = domidOf(created);
    String devices = console.awaitLineContaining("chaos-rig guest: devices:", BOOT);
    assertTrue(devices.contains("eth0") && devices.contains("xvdb"), devices);

    DaemonProcess.Run vif = chaos("network-attach", "e2e-hot", "bridge=xenbr0");
    assertEquals(0, vif.code(), vif.err());
    assertTrue(vif.out().contains("vif" + domid + ".1"), vif.out());
    console.awaitLineContaining("device added eth1", BOOT);
    DaemonProcess.Run disk = chaos("block-attach", "e2e-hot", "file:" + second + ",xvdc,ro");
    assertEquals(0, disk.code(), disk.err());
    console.awaitLineContaining("device added xvdc", BOOT);
    assertEquals(1, Dom0Devices.loopDevicesOf(second).size());

    DaemonProcess.Run taken = chaos("block-attach", "e2e-hot", "file:" + second + ",xvdc,ro");
    assertEquals(ExitCodes.EXISTS, taken.code(), taken.err());

    assertEquals(0, chaos("network-detach", "e2e-hot", "1").code());
    console.awaitLineContaining("device removed eth1", BOOT);
    assertEquals(List.of("vif" + domid + ".0"), Dom0Devices.vifInterfaces(domid));
    DaemonProcess.Run detached = chaos("block-detach", "e2e-hot", "xvdc");
    assertEquals(0, detached.code(), detached.err());
    console.awaitLineContaining("device removed xvdc", BOOT);
    assertEquals(List.of(), Dom0Devices.loopDevicesOf(second), "xvdc's loop device is still bound");

    DaemonProcess.Run none = chaos("block-detach", "e2e-hot", "xvdz");
    assertEquals(ExitCodes.NOT_FOUND, none.code(), none.err());

    assertEquals(0, chaos("destroy", "e2e-hot").code());
    assertNothingLeft(domid, first, second);
  }

  @Test
  @Order(3)
  void badDeviceSpecsFailTheCreateAndLeaveNothing() throws Exception {
    Path image = image("e2e-bad", "bad");
    String[][] cases = {
      {"vif = [ 'bridge=nosuchbr0' ]", "there is no bridge nosuchbr0 in Dom0"},
      {"disk = [ '/nonexistent/disk.img,raw,xvdb,rw' ]", "/nonexistent/disk.img does not exist"},
      {"vif = [ 'mac=00:16:3e:zz:00:01' ]", "is not a MAC address"},
      {
        "disk = [ '" + image + ",raw,xvdb,rw', '" + image + ",raw,xvdb,ro' ]",
        "two disks are attached as xvdb"
      },
      // Fails while the devices are attached: the first vif is made, then the second's name is
      // taken; the half-made guest and its first vif must go.
      {
        "vif = [ 'bridge=xenbr0', 'bridge=xenbr0,vifname=xenbr0' ]\n"
            + "disk = [ '"
            + image
            + ",raw,xvdb,rw' ]",
        "an interface named xenbr0 exists already"
      },
    };
    for (String[] bad : cases) {
      Path config =
          writeConfig("e2e-bad", TestGuest.xlConfig("e2e-bad", TestGuest.Mode.WAIT, "", bad[0]));
      DaemonProcess.Run run = chaos("create", config.toString());
      assertEquals(ExitCodes.CONFIG, run.code(), bad[0] + ": " + run.out() + run.err());
      assertTrue(run.err().contains(bad[1]), run.err());
      assertTrue(!DaemonProcess.guestNames().contains("e2e-bad"), "e2e-bad was left");
    }
    // A back end blkback cannot set up (a block device node of no device): the create waits for
    // it, fails naming the disk and blkback's own words, and removes the back end and its error.
    Path noDevice = dir.resolve("no-such-device");
    Command.run(LIMIT, "mknod", noDevice.toString(), "b", "240", "0").orThrow();
    Path config =
        writeConfig(
            "e2e-bad",
            TestGuest.xlConfig(
                "e2e-bad", TestGuest.Mode.WAIT, "", "disk = [ 'phy:" + noDevice + ",xvdb,w' ]"));
    DaemonProcess.Run unready = chaos("create", config.toString());
    assertEquals(ExitCodes.FAILURE, unready.code(), unready.out() + unready.err());
    assertTrue(
        unready.err().contains("xen-blkback cannot set up disk xvdb")
            && unready.err().contains("creating vbd structure"),
        unready.err());
    assertTrue(!DaemonProcess.guestNames().contains("e2e-bad"), "e2e-bad was left");
    for (String kind : List.of("vif", "vbd")) {
      assertEquals(List.of(), Dom0Devices.backendErrorDomids(kind), kind + " back-end errors");
    }
    assertEquals(List.of(), Dom0Devices.loopDevicesOf(image));
    for (String line : Xl.domainNames()) {
      assertTrue(line.equals("Domain-0") || line.startsWith("chaos-shell-"), line);
    }
    // Back ends left are those of the pool's shell (its vif 0 is plugged ahead), no other.
    for (String kind : List.of("vif", "vbd")) {
      for (int domid : Dom0Devices.backendDomids(kind)) {
        String name = Dom0Devices.domainName(domid);
        assertTrue(
            name != null && name.startsWith("chaos-shell-"),
            kind + " back ends are left for domain " + domid + " (" + name + ")");
      }
    }
  }

  /**
   * Restart safety with devices: a guest that crashes, one that outlives a kill -9 of its daemon
   * (the next daemon adopts it), one that crashes while no daemon runs (the next one applies its
   * on_crash), and one whose create the kill interrupts (the next daemon destroys it): none leaves
   * a back end, an interface or a loop device behind.
   */
  @Test
  @Order(4)
  void crashedGuestAndKilledDaemonLeaveNoDeviceBehind() throws Exception {
    Path crashImage = image("e2e-crash", "crash");
    // The unikernel: its devices' back ends are made all the same, and it crashes at once.
    Path crash =
        Unikernel.writeXlConfig(
            dir,
            "e2e-crash",
            Unikernel.Mode.CRASH,
            "vif = [ 'bridge=xenbr0' ]",
            "disk = [ '" + crashImage + ",raw,xvdb,rw' ]");
    DaemonProcess.Run crashed = chaos("create", crash.toString());
    assertEquals(0, crashed.code(), crashed.err());
    Xl.awaitGone("e2e-crash", BOOT);
    assertNothingLeft(domidOf(crashed), crashImage);

    // A guest that outlives a kill -9 of its daemon, destroyed by the next daemon.
    Path keptImage = image("e2e-kept", "kept");
    Path kept =
        idleGuest(
            "e2e-kept", "vif = [ 'bridge=xenbr0' ]", "disk = [ '" + keptImage + ",raw,xvdb,rw' ]");
    DaemonProcess.Run created = chaos("create", kept.toString());
    assertEquals(0, created.code(), created.err());
    // And one that crashes while no daemon runs: the next one applies its on_crash.
    Path lateImage = image("e2e-late", "late");
    Path late =
        writeConfig(
            "e2e-late",
            TestGuest.xlConfig(
                "e2e-late",
                TestGuest.Mode.CRASH,
                "",
                "vif = [ 'bridge=xenbr0' ]",
                "disk = [ '" + lateImage + ",raw,xvdb,rw' ]"));
    DaemonProcess.Run lateCreated = chaos("create", late.toString());
    assertEquals(0, lateCreated.code(), lateCreated.err());
    // The kill comes in the middle of a create: the victim's kernel is a copy the daemon has not
    // cached, so its build decompresses it, which leaves seconds to kill the daemon in.
    Path kernel = Files.copy(TestGuest.kernel(), dir.resolve("vmlinuz-uncached"));
    Path victim =
        writeConfig(
            "e2e-victim",
            TestGuest.xlConfig("e2e-victim", TestGuest.Mode.WAIT)
                .replace(TestGuest.kernel().toString(), kernel.toString()));
    DaemonProcess first = daemon;
    CompletableFuture<DaemonProcess.Run> interrupted =
        CompletableFuture.supplyAsync(() -> first.chaos("create", victim.toString()));
    awaitDomainInState("building");
    daemon.kill(); // SIGKILL while the victim is being built
    DaemonProcess.Run reply = interrupted.get(60, TimeUnit.SECONDS);
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, reply.code(), reply.err());
    assertTrue(domainInState("building").isPresent(), "the kill left no half-built domain");
    ConsoleLog.of("e2e-late").awaitLineContaining("mode crash", BOOT);
    Thread.sleep(3000); // the crash itself, after the greeting

    daemon = newDaemon();
    String log = daemon.logText();
    assertTrue(log.contains("adopted e2e-kept"), log);
    assertTrue(log.contains("left building by an earlier daemon"), log);
    assertEquals(Optional.empty(), domainInState("building"));
    assertFalse(chaos("list").out().contains("e2e-victim"));
    Xl.awaitGone("e2e-late", BOOT);
    assertNothingLeft(domidOf(lateCreated), lateImage);
    assertEquals(0, chaos("destroy", "e2e-kept").code());
    assertNothingLeft(domidOf(created), keptImage);
  }

  private static void awaitDomainInState(String state) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (domainInState(state).isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "no domain reached chaos/state = " + state);
      Thread.sleep(50);
    }
  }

  /**
   * A pooled guest's nodes (partly written in its shell's prepare phase) with the permissions libxl
   * gives them, in xenstore-ls's notation: Dom0's, which the guest may read; the guest's own; and
   * chaos's record, which the guest may not read.
   */
  private static void assertNodesAsLibxlLeavesThem(int domid) {
    String dom = "/local/domain/" + domid;
    String readable = "n0,r" + domid;
    String guests = "n" + domid;
    Map<String, String> expected = new LinkedHashMap<>();
    for (String node :
        List.of("", "/name", "/domid", "/device", "/memory/target", "/cpu/0/availability")) {
      expected.put(dom + node, readable);
    }
    for (String node :
        List.of("/control/shutdown", "/data", "/console/port", "/console/ring-ref")) {
      expected.put(dom + node, guests);
    }
    expected.put(dom + "/chaos", "n0");
    expected.put(dom + "/chaos/state", "n0");
    assertNodeValues(
        domid,
        Map.of(
            "domid", Integer.toString(domid),
            "memory/static-max", Integer.toString(TestGuest.MEMORY_MIB * 1024),
            "memory/target", Integer.toString(TestGuest.MEMORY_MIB * 1024),
            "cpu/0/availability", "online"));
    try (XenStore xs = XenStore.open()) {
      expected.forEach(
          (path, perms) ->
              assertEquals(
                  perms,
                  xs.getPermissions(XenStore.NO_TRANSACTION, path).stream()
                      .map(
                          p -> p.access().name().substring(0, 1).toLowerCase() + p.domain().value())
                      .collect(Collectors.joining(",")),
                  path));
    }
  }

  /** The values of the domain's nodes (paths under its domain node), as libxl writes them. */
  private static void assertNodeValues(int domid, Map<String, String> expected) {
    try (XenStore xs = XenStore.open()) {
      expected.forEach(
          (node, value) ->
              assertEquals(
                  Optional.of(value),
                  xs.read(XenStore.NO_TRANSACTION, "/local/domain/" + domid + "/" + node),
                  node));
    }
  }

  /**
   * A guest smaller than its maximum (memory under maxmem, vCPUs under maxvcpus): the nodes that
   * its shell's prepare phase wrote for a guest of the maximum are written again with its own.
   */
  @Test
  @Order(5)
  void aGuestUnderItsMaximumHasItsOwnMemoryAndVcpuNodes() throws Exception {
    Path config =
        Unikernel.writeXlConfig(
            dir, "e2e-small", Unikernel.Mode.NOOP, "memory = 2", "maxmem = 4", "maxvcpus = 2");
    DaemonProcess.Run created = chaos("create", config.toString());
    assertEquals(0, created.code(), created.err());
    int domid = domidOf(created);
    assertNodeValues(
        domid,
        Map.of(
            "domid", Integer.toString(domid),
            "memory/static-max", "4096",
            "memory/target", "2048",
            "cpu/0/availability", "online",
            "cpu/1/availability", "offline"));
    assertEquals(0, chaos("destroy", "e2e-small").code());
    assertNothingLeft(domid);
  }

  /**
   * A guest that crashes while its create still builds it (here: Xen told so from Dom0, while the
   * daemon decompresses a kernel it has not cached): xenstored tells of no shutdown of a domain not
   * yet introduced, and any look at an event leaves a guest being built to its create. Once built,
   * its create's move to running finds it crashed and it gets its on_crash all the same (destroy),
   * its disk and vif with it. (CI, stop 49: a unikernel that crashed at once stayed crashed; stop
   * 60: the look came after the create's move when @introduceDomain's event was late, and the log
   * did not say "while building".)
   */
  @Test
  @Order(6)
  void aGuestThatCrashesWhileBeingBuiltGetsItsOnCrashOnceBuilt() throws Exception {
    Path image = image("e2e-early", "early");
    Path kernel = Files.copy(TestGuest.kernel(), dir.resolve("vmlinuz-early"));
    Path early =
        writeConfig(
            "e2e-early",
            TestGuest.xlConfig(
                    "e2e-early",
                    TestGuest.Mode.WAIT,
                    "",
                    "vif = [ 'bridge=xenbr0' ]",
                    "disk = [ '" + image + ",raw,xvdb,rw' ]")
                .replace(TestGuest.kernel().toString(), kernel.toString()));
    CompletableFuture<DaemonProcess.Run> creating =
        CompletableFuture.supplyAsync(() -> chaos("create", early.toString()));
    awaitDomainInState("building");
    int domid = domainInState("building").orElseThrow();
    try (XenCtrl xc = XenCtrl.open()) {
      xc.shutdown(new DomId(domid), ShutdownReason.CRASH);
    }
    DaemonProcess.Run created = creating.get(120, TimeUnit.SECONDS);
    assertEquals(0, created.code(), created.err());
    Xl.awaitGone("e2e-early", Duration.ofSeconds(30));
    assertTrue(daemon.logText().contains("shut down while building"), daemon.logText());
    assertNothingLeft(domid, image);
  }

  /** A domain whose chaos/state node reads {@code state}, if any. */
  private static Optional<Integer> domainInState(String state) {
    try (XenCtrl xc = XenCtrl.open();
        XenStore xs = XenStore.open()) {
      for (DomainInfo info : xc.domainInfos()) {
        String path = "/local/domain/" + info.domid().value() + "/chaos/state";
        if (xs.read(XenStore.NO_TRANSACTION, path).filter(state::equals).isPresent()) {
          return Optional.of(info.domid().value());
        }
      }
      return Optional.empty();
    }
  }
}
