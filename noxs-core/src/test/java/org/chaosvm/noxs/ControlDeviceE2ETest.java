package org.chaosvm.noxs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.EventChannels;
import org.chaosvm.libxc.GrantShare;
import org.chaosvm.libxc.ShutdownReason;
import org.chaosvm.libxc.XenCtrl;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The noxs control device between a back end in Dom0's user space (ControlDevice: a granted page
 * and an event channel) and the unikernel's front end, with no XenStore in between: poweroff and
 * reboot requests end in the matching shutdown reason, and a guest that never answers costs the
 * caller the time limit and leaves it destroyable.
 */
@Tag("xen")
class ControlDeviceE2ETest {
  private static final boolean PATCHED = !"stock".equals(System.getenv("RIG_XEN"));
  private static final Duration LIMIT = Duration.ofSeconds(60);
  private static final String NAME = "noxs-control";

  private static XenCtrl xc;
  private static Devctl devctl;
  private static GrantShare grants;
  private static EventChannels events;
  private ControlDevice device;
  @TempDir Path dir;

  @BeforeAll
  static void open() {
    assumeTrue(PATCHED, "RIG_XEN=stock");
    xc = XenCtrl.open();
    devctl = Devctl.open();
    grants = GrantShare.open();
    events = EventChannels.open();
  }

  @AfterAll
  static void close() {
    if (PATCHED) {
      events.close();
      grants.close();
      devctl.close();
      xc.close();
    }
  }

  @AfterEach
  void cleanUp() {
    Xl.destroyIfPresent(NAME);
    if (device != null) {
      device.close();
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = ControlRequest.class,
      names = {"POWEROFF", "REBOOT"})
  void aRequestEndsInTheShutdownItNames(ControlRequest request) {
    ConsoleLog console = connectedGuest(Unikernel.Mode.NOOP);

    device.request(request, LIMIT);

    console.awaitLineContaining(Unikernel.CONTROL_REQUEST + request, LIMIT);
    assertEquals(ShutdownReason.valueOf(request.name()), awaitShutdown(device.guest()));
  }

  @Test
  void aGuestThatNeverAnswersCostsTheLimitAndStaysDestroyable() {
    connectedGuest(Unikernel.Mode.IGNORE);

    GuestControlException e =
        assertThrows(
            GuestControlException.class,
            () -> device.request(ControlRequest.POWEROFF, Duration.ofSeconds(2)));

    assertEquals(
        "domain " + device.guest() + " did not answer the poweroff request within 2000 ms",
        e.getMessage());
    assertTrue(xc.domainInfo(device.guest()).map(info -> !info.shutdown()).orElse(false));
    Xl.destroy(NAME);
    assertEquals(Optional.empty(), xc.domainInfo(device.guest()));
  }

  @Test
  void aRequestTheGuestDoesNotServeIsRefusedAtOnce() {
    connectedGuest(Unikernel.Mode.NOOP);

    GuestControlException e =
        assertThrows(
            GuestControlException.class, () -> device.request(ControlRequest.SUSPEND, LIMIT));
    assertEquals(
        "domain " + device.guest() + " does not serve suspend requests through its control device",
        e.getMessage());
  }

  /**
   * The unikernel in {@code mode}, created paused by xl (shutdowns preserved), with a control
   * device announced in its device page before it runs; returns once it says it is connected.
   */
  private ConsoleLog connectedGuest(Unikernel.Mode mode) {
    ConsoleLog console = ConsoleLog.of(NAME).sinceNow();
    Path config =
        Unikernel.writeXlConfig(
            dir, NAME, mode, "on_poweroff = \"preserve\"", "on_reboot = \"preserve\"");
    Command.run(Xl.CALL_TIMEOUT, "xl", "create", "-p", config.toString()).orThrow();
    DomId domain =
        DomId.of(
            Integer.parseInt(
                Command.run(Xl.CALL_TIMEOUT, "xl", "domid", NAME).orThrow().output().strip()));
    device = ControlDevice.create(grants, events, domain);
    devctl.add(domain, device.entry());
    Command.run(Xl.CALL_TIMEOUT, "xl", "unpause", NAME).orThrow();
    console.awaitLineContaining(Unikernel.CONTROL_CONNECTED, LIMIT);
    return console;
  }

  private static ShutdownReason awaitShutdown(DomId domain) {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<DomainInfo> info = xc.domainInfo(domain);
      if (info.isPresent() && info.get().shutdown()) {
        return info.get().shutdownReason().orElseThrow();
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("domain " + domain + " did not shut down within " + LIMIT);
  }
}
