package org.chaosvm.cli;

import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;

/**
 * {@link BootloaderCases} as issue 18 asks it, too long for the suite (each Linux boot costs some
 * 20 s of the rig's time): ten creates and three reboots ({@code xen-rig/rig e2e --tag xen-stress
 * Bootloader}).
 */
@Tag("xen-stress")
@Order(1)
class BootloaderStressE2ETest extends BootloaderCases {
  @Override
  int creates() {
    return 10;
  }

  @Override
  int reboots() {
    return 3;
  }
}
