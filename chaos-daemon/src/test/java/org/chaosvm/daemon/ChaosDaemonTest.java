package org.chaosvm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.chaosvm.daemon.config.DeviceMechanism;
import org.junit.jupiter.api.Test;

/** The daemon's command line (no Xen). */
class ChaosDaemonTest {
  @Test
  void byDefaultXenStoreRunsAndGuestsAreXenStoreGuests() {
    ChaosDaemon.Options options = ChaosDaemon.parse(new String[] {"--pool", "4x1:noxs=2"});
    assertTrue(options.xenstore());
    assertEquals(DeviceMechanism.XENSTORE, options.devices());
  }

  @Test
  void withoutXenStoreGuestsAreNoxsGuestsByDefault() {
    ChaosDaemon.Options options =
        ChaosDaemon.parse(new String[] {"--no-xenstore", "--pool", "4x1:noxs=2"});
    assertFalse(options.xenstore());
    assertEquals(DeviceMechanism.NOXS, options.devices());
  }

  @Test
  void withoutXenStoreAXenStoreDefaultOrPoolIsRefusedByName() {
    IllegalArgumentException method =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--no-xenstore", "--dev-method", "xenstore"}));
    assertTrue(method.getMessage().contains("--dev-method xenstore"), method.getMessage());
    IllegalArgumentException pool =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--pool", "4x1=2", "--no-xenstore"}));
    assertTrue(pool.getMessage().contains("pool 4x1:noxs, not 4x1"), pool.getMessage());
  }

  @Test
  void theMembersPolicyIsReadFromItsOptionsAndABadOneStopsTheStart() {
    ChaosDaemon.Options options =
        ChaosDaemon.parse(
            new String[] {
              "--member-pool-cap", "3",
              "--member-block-device", "/dev/vg0/guest-*",
              "--member-bridge", "tenant*",
              "--member-bridge", "xenbr1"
            });
    assertEquals(3, options.members().memberPoolCap());
    assertTrue(options.members().allowsBridge("tenant4"));
    assertTrue(options.members().allowsBridge("xenbr1"));
    assertFalse(options.members().allowsBridge("xenbr0"));
    IllegalArgumentException path =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--member-bridge", "/sys/class/net/xenbr0"}));
    assertTrue(path.getMessage().contains("a bridge's name"), path.getMessage());
    IllegalArgumentException glob =
        assertThrows(
            IllegalArgumentException.class,
            () -> ChaosDaemon.parse(new String[] {"--member-bridge", "tenant[1"}));
    assertTrue(
        glob.getMessage().startsWith("--member-block-device or --member-bridge"),
        glob.getMessage());
  }
}
