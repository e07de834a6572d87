package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.UUID;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.LifecycleAction;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.ShutdownReason;
import org.junit.jupiter.api.Test;

class LifecycleActionTest {
  private static final Guest GUEST =
      new Guest(
          DomId.of(3),
          UUID.randomUUID(),
          "web",
          Optional.empty(),
          "",
          LifecycleAction.DESTROY,
          LifecycleAction.RESTART,
          LifecycleAction.PRESERVE,
          DeviceMechanism.XENSTORE);

  @Test
  void eachShutdownReasonTakesTheActionItsConfigGivesAsXlDoes() {
    assertEquals(LifecycleAction.DESTROY, Lifecycle.actionFor(GUEST, ShutdownReason.POWEROFF));
    assertEquals(LifecycleAction.RESTART, Lifecycle.actionFor(GUEST, ShutdownReason.REBOOT));
    assertEquals(LifecycleAction.PRESERVE, Lifecycle.actionFor(GUEST, ShutdownReason.CRASH));
    assertEquals(LifecycleAction.PRESERVE, Lifecycle.actionFor(GUEST, ShutdownReason.WATCHDOG));
  }

  @Test
  void aSuspendedGuestIsKeptForItsSaverWhateverItsConfig() {
    Guest destroyAll =
        new Guest(
            DomId.of(4),
            UUID.randomUUID(),
            "db",
            Optional.empty(),
            "",
            LifecycleAction.DESTROY,
            LifecycleAction.DESTROY,
            LifecycleAction.DESTROY,
            DeviceMechanism.XENSTORE);
    assertEquals(LifecycleAction.PRESERVE, Lifecycle.actionFor(destroyAll, ShutdownReason.SUSPEND));
    assertEquals(
        LifecycleAction.PRESERVE, Lifecycle.actionFor(destroyAll, ShutdownReason.SOFT_RESET));
  }
}
