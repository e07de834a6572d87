package org.chaosvm.cli;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;

/** {@link BootloaderCases} in the suite: two creates and a reboot. */
@Tag("xen")
@Order(1) // with the other classes of the shared daemon, one after another
class BootloaderE2ETest extends BootloaderCases {
  @Override
  int creates() {
    return 2;
  }

  @Override
  int reboots() {
    return 1;
  }
}
