package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/** The bindings on real Xen: a PV guest built, run, watched and destroyed from Java alone. */
@Tag("xen")
class PvBootE2ETest {
  private static final Duration BOOT_LIMIT = Duration.ofSeconds(120);
  private static final String RELEASE_DOMAIN = "@releaseDomain";

  private XenCtrl xc;
  private XenStore xs;
  private EventChannels evtchn;
  private String name;
  private PvGuest guest;

  @BeforeEach
  void open(TestInfo test) {
    xc = XenCtrl.open();
    xs = XenStore.open();
    evtchn = EventChannels.open();
    name = "libxc-" + Integer.toHexString(test.getTestMethod().orElseThrow().getName().hashCode());
  }

  @AfterEach
  void cleanUp() {
    try {
      if (guest != null) {
        guest.destroy(xc, xs);
      }
      awaitOnlyDomain0();
    } finally {
      evtchn.close();
      xs.close();
      xc.close();
    }
  }

  @Test
  void guestBuiltFromJavaRunsIsNamedPrintsAndItsPoweroffIsSeen() throws Exception {
    xs.watch(RELEASE_DOMAIN, name);
    ConsoleLog console = ConsoleLog.of(name).sinceNow();

    guest = PvGuest.boot(xc, xs, spec(TestGuest.Mode.HELLO, TestGuest.MEMORY_MIB));

    assertTrue(Xl.domainNames().contains(name), "xl list does not name " + name);
    assertNodesAreTheGuestsToReadOrToWrite(guest);
    String line = console.awaitLineContaining(TestGuest.GREETING, BOOT_LIMIT);
    assertTrue(line.endsWith("(mode hello)"), line);

    DomainInfo info = awaitShutdown(guest.domid);
    assertEquals(Optional.of(ShutdownReason.POWEROFF), info.shutdownReason());
    assertFalse(info.running());

    guest.destroy(xc, xs);
    guest = null;
    awaitOnlyDomain0();
    assertEquals(List.of("Domain-0"), Xl.domainNames());
  }

  /**
   * As libxl leaves them: Dom0's, which the guest may read (its domain's node, device, memory, cpu,
   * its /vm node), or the guest's own (control and its shutdown, data, console).
   */
  private void assertNodesAreTheGuestsToReadOrToWrite(PvGuest guest) {
    DomId domid = guest.domid;
    List<XsPermission> readOnly =
        List.of(
            new XsPermission(DomId.DOM0, XsPermission.Access.NONE),
            new XsPermission(domid, XsPermission.Access.READ));
    List<XsPermission> guestOwned = List.of(new XsPermission(domid, XsPermission.Access.NONE));
    String dom = PvGuestNodes.domainPath(domid);
    for (String node :
        List.of("", "/device", "/memory", "/memory/target", "/cpu", "/cpu/0/availability")) {
      assertEquals(readOnly, xs.getPermissions(XenStore.NO_TRANSACTION, dom + node), dom + node);
    }
    String vm = PvGuestNodes.vmPath(guest.uuid);
    assertEquals(readOnly, xs.getPermissions(XenStore.NO_TRANSACTION, vm), vm);
    for (String node : List.of("/control", "/control/shutdown", "/data", "/console/port")) {
      assertEquals(guestOwned, xs.getPermissions(XenStore.NO_TRANSACTION, dom + node), dom + node);
    }
  }

  /**
   * Xen lets one event channel per domain bind a global VIRQ, and Dom0's xenstored holds
   * VIRQ_DOM_EXC: a second binding in Dom0 is refused, and the refusal is a clear error. (Without
   * xenstored in Dom0, as with noxs, the binding is the toolstack's to take.)
   */
  @Test
  void bindingVirqDomExcWhileXenstoredHoldsItIsRefusedClearly() {
    XenException e = assertThrows(XenException.class, evtchn::bindDomainExceptionVirq);

    assertEquals("xenevtchn_bind_virq", e.function());
    assertEquals(Errno.EEXIST, e.errno());
  }

  @Test
  void runningGuestIsPausedUnpausedAndDestroyed() {
    guest = PvGuest.boot(xc, xs, unikernel(Unikernel.Mode.NOOP, Unikernel.MEMORY_MIB));
    DomId domid = guest.domid;

    xc.pause(domid);
    assertTrue(xc.domainInfo(domid).orElseThrow().paused());
    xc.unpause(domid);
    assertFalse(xc.domainInfo(domid).orElseThrow().paused());
    assertTrue(xc.domainInfos().stream().anyMatch(info -> info.domid().equals(domid)));
    assertEquals(guest.uuid, xc.domainInfo(domid).orElseThrow().handle());

    guest.destroy(xc, xs);
    guest = null;
    awaitOnlyDomain0();
  }

  @Test
  void destroyingADomainThatDoesNotExistNamesTheCallTheErrnoAndTheDomain() {
    DomId missing = DomId.of(DomId.FIRST_RESERVED - 1);

    XenException e = assertThrows(XenException.class, () -> xc.destroy(missing));

    assertEquals("xc_domain_destroy", e.function());
    assertEquals(Errno.ESRCH, e.errno());
    assertEquals(Optional.of(missing), e.domain());
    assertTrue(e.getMessage().contains("domain " + missing.value()), e.getMessage());
  }

  @Test
  void buildingFromAFileThatIsNotAKernelFailsClearlyAndLeavesNoDomain(@TempDir Path dir)
      throws Exception {
    Path notAKernel = Files.writeString(dir.resolve("not-a-kernel"), "just text\n".repeat(100));
    PvGuest.Spec spec =
        new PvGuest.Spec(name, notAKernel, TestGuest.ramdisk(), "console=hvc0", 256, 1);

    XenException e = assertThrows(XenException.class, () -> PvGuest.boot(xc, xs, spec));

    assertEquals("xc_dom_parse_image", e.function());
    assertFalse(e.detail().isEmpty(), "libxc's explanation is missing: " + e.getMessage());
    awaitOnlyDomain0();
  }

  @Test
  void askingForMoreMemoryThanTheHostHasFailsClearlyAndLeavesNoDomain() {
    int tooMuch = (int) xc.physInfo().freeMib() + 1024;

    XenException e =
        assertThrows(
            XenException.class,
            () -> PvGuest.boot(xc, xs, unikernel(Unikernel.Mode.HELLO, tooMuch)));

    assertEquals("xc_dom_boot_mem_init", e.function(), e.getMessage());
    awaitOnlyDomain0();
    assertTrue(xs.directory(XenStore.NO_TRANSACTION, "/vm").orElse(List.of()).isEmpty());
  }

  /**
   * chaos's unikernel: what needs a running guest but not Linux's boot (some 20 s of the rig's time
   * each) is shown with it.
   */
  private PvGuest.Spec unikernel(Unikernel.Mode mode, int memoryMib) {
    return new PvGuest.Spec(name, Unikernel.image(), null, mode.argument(), memoryMib, 1);
  }

  private PvGuest.Spec spec(TestGuest.Mode mode, int memoryMib) {
    return new PvGuest.Spec(
        name, TestGuest.kernel(), TestGuest.ramdisk(), TestGuest.commandLine(mode), memoryMib, 1);
  }

  /**
   * Waits for xenstored's {@code @releaseDomain} watch, which it fires when VIRQ_DOM_EXC tells it a
   * domain shut down or died, until the domain reports a shutdown.
   */
  private DomainInfo awaitShutdown(DomId domid) throws Exception {
    long deadline = System.nanoTime() + BOOT_LIMIT.toNanos();
    while (true) {
      DomainInfo info = xc.domainInfo(domid).orElseThrow();
      if (info.shutdown()) {
        return info;
      }
      long left = deadline - System.nanoTime();
      assertTrue(left > 0, "no shutdown of domain " + domid + " seen through @releaseDomain");
      XenStore.WatchEvent event =
          CompletableFuture.supplyAsync(xs::readWatch).get(left, TimeUnit.NANOSECONDS);
      assertEquals(name, event.token());
    }
  }

  /** Domains being destroyed linger as "dying" for a moment. */
  private void awaitOnlyDomain0() {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (xc.domainInfos().size() > 1 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(List.of(DomId.DOM0), xc.domainInfos().stream().map(DomainInfo::domid).toList());
  }
}
