package org.chaosvm.noxs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainConfig;
import org.chaosvm.libxc.Errno;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.libxc.XenException;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The devctl hypercall of the noxs-patched Xen, from Java in Dom0 and from a guest: a domain's
 * device page is added to, listed and removed from by Dom0 only, refusals carry their errno, a full
 * page is refused without harm to Xen, and a guest maps its page read-only and no other way. On
 * Debian's own hypervisor (RIG_XEN=stock) only the probe is checked: it finds no support.
 */
@Tag("xen")
class DevctlE2ETest {
  private static final boolean PATCHED = !"stock".equals(System.getenv("RIG_XEN"));
  private static final Duration LIMIT = Duration.ofSeconds(60);
  private static final DeviceEntry CONTROL =
      new DeviceEntry(DeviceType.CONTROL, 0, DomId.DOM0, 8, 17);
  private static final DeviceEntry VIF = new DeviceEntry(DeviceType.VIF, 0, DomId.DOM0, 9, 18);

  private static XenCtrl xc;
  private static Devctl devctl;
  private final List<DomId> created = new ArrayList<>();
  @TempDir Path dir;

  @BeforeAll
  static void open() {
    xc = XenCtrl.open();
    devctl = Devctl.open();
  }

  @AfterAll
  static void close() {
    devctl.close();
    xc.close();
  }

  @AfterEach
  void destroyCreated() {
    created.forEach(domain -> xc.destroy(domain));
    Xl.destroyIfPresent("noxs-add");
    Xl.destroyIfPresent("noxs-map");
  }

  @Test
  void theProbeSaysWhetherTheHypervisorHasNoxs() {
    assertEquals(PATCHED, devctl.supported(), "RIG_XEN=" + System.getenv("RIG_XEN"));
    if (!PATCHED) {
      XenException e = assertThrows(XenException.class, () -> devctl.enumerate(DomId.DOM0));
      assertEquals(Errno.ENOSYS, e.errno());
      assertTrue(Devctl.NO_SUPPORT.startsWith("this hypervisor has no noxs support"));
    }
  }

  @Test
  void dom0AddsListsGetsAndRemovesEntriesOfAPausedDomain() {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    DomId domain = pausedDomain();

    assertEquals(List.of(), devctl.enumerate(domain));
    devctl.add(domain, CONTROL);
    devctl.add(domain, VIF);
    assertEquals(List.of(CONTROL, VIF), devctl.enumerate(domain));
    assertTrue(devctl.frame(domain) > 0);

    assertErrno(Errno.EEXIST, "devctl add", domain, () -> devctl.add(domain, VIF));
    devctl.remove(domain, CONTROL.key());
    assertEquals(List.of(VIF), devctl.enumerate(domain));
    assertErrno(Errno.ENOENT, "devctl remove", domain, () -> devctl.remove(domain, CONTROL.key()));
    DeviceKey otherBackend = new DeviceKey(DeviceType.VIF, 0, DomId.of(1));
    assertErrno(Errno.ENOENT, "devctl remove", domain, () -> devctl.remove(domain, otherBackend));
    assertEquals(List.of(VIF), devctl.enumerate(domain));

    xc.destroy(domain);
    created.remove(domain);
    assertErrno(Errno.ESRCH, "devctl enumerate", domain, () -> devctl.enumerate(domain));
  }

  @Test
  void refusalsCarryTheirErrno() {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    DomId domain = pausedDomain();
    Consumer<java.nio.ByteBuffer> none = b -> {};

    assertErrno(
        Errno.EACCES,
        "devctl enumerate",
        domain,
        () -> devctl.call("devctl enumerate", 99, NoxsAbi.XEN_DEVCTL_enumerate, domain, none));
    assertErrno(
        Errno.EOPNOTSUPP,
        "devctl 77",
        domain,
        () -> devctl.call("devctl 77", NoxsAbi.XEN_DEVCTL_VERSION, 77, domain, none));
    DomId unknown = DomId.of(30000);
    assertErrno(Errno.ESRCH, "devctl add", unknown, () -> devctl.add(unknown, CONTROL));
    assertErrno(Errno.ESRCH, "devctl get", unknown, () -> devctl.frame(unknown));
  }

  @Test
  void aFullPageRefusesThe33rdEntryAndXenLivesOn() {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    DomId domain = pausedDomain();
    for (int devid = 0; devid < NoxsAbi.NOXS_DEV_COUNT_MAX; devid++) {
      devctl.add(domain, new DeviceEntry(DeviceType.VIF, devid, DomId.DOM0, devid, devid));
    }
    DeviceEntry oneTooMany = new DeviceEntry(DeviceType.VIF, 32, DomId.DOM0, 32, 32);

    assertErrno(Errno.ENOBUFS, "devctl add", domain, () -> devctl.add(domain, oneTooMany));
    assertEquals(32, devctl.enumerate(domain).size());
    assertTrue(xc.domainInfo(domain).isPresent(), "Xen still answers");
    devctl.remove(domain, new DeviceKey(DeviceType.VIF, 5, DomId.DOM0));
    devctl.add(domain, oneTooMany);
    List<DeviceEntry> devices = devctl.enumerate(domain);
    assertEquals(32, devices.size());
    assertEquals(oneTooMany, devices.get(31), "the page stays dense, in the order of addition");
    assertEquals(6, devices.get(5).devid());
  }

  @Test
  void aGuestSeesItsPageButCannotAddToIt() {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    ConsoleLog console = guestWithOneDevice("noxs-add", Unikernel.Mode.DEVCTL_ADD);

    String answer = console.awaitLineContaining(Unikernel.Mode.DEVCTL_ADD.line, LIMIT);
    assertTrue(answer.contains("refused (-1)"), answer); // -EPERM
    Xl.awaitGone("noxs-add", LIMIT);
  }

  @Test
  void aGuestCannotMapItsPageWritable() {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    ConsoleLog console = guestWithOneDevice("noxs-map", Unikernel.Mode.MAP_WRITABLE);

    String answer = console.awaitLineContaining(Unikernel.Mode.MAP_WRITABLE.line, LIMIT);
    assertTrue(answer.contains(": refused (-"), answer);
    Xl.awaitGone("noxs-map", LIMIT);
  }

  /**
   * Creates the unikernel paused with xl, adds {@link #CONTROL} to its page from Dom0, unpauses it,
   * and checks that it printed the page with that entry.
   */
  private ConsoleLog guestWithOneDevice(String name, Unikernel.Mode mode) {
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Path config = Unikernel.writeXlConfig(dir, name, mode);
    Command.run(Xl.CALL_TIMEOUT, "xl", "create", "-p", config.toString()).orThrow();
    DomId domain =
        DomId.of(
            Integer.parseInt(
                Command.run(Xl.CALL_TIMEOUT, "xl", "domid", name).orThrow().output().strip()));
    devctl.add(domain, CONTROL);
    Command.run(Xl.CALL_TIMEOUT, "xl", "unpause", name).orThrow();

    String summary = console.awaitLineContaining(Unikernel.DEVICE_PAGE, LIMIT);
    assertTrue(summary.contains("version 1, generation 2, 1 devices"), summary);
    String device = console.awaitLineContaining("chaos unikernel: device control 0", LIMIT);
    assertTrue(device.endsWith("back end 0, grant 8, event channel 17"), device);
    return console;
  }

  private DomId pausedDomain() {
    DomId domain = xc.createDomain(DomainConfig.pv(UUID.randomUUID(), 1));
    created.add(domain);
    return domain;
  }

  private static void assertErrno(Errno errno, String function, DomId domain, Runnable call) {
    XenException e = assertThrows(XenException.class, call::run);
    assertEquals(errno, e.errno(), e.getMessage());
    assertEquals(function, e.function());
    assertEquals(domain, e.domain().orElseThrow());
  }
}
