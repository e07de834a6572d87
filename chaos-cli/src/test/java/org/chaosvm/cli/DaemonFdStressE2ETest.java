package org.chaosvm.cli;

import org.junit.jupiter.api.Tag;

/**
 * The daemon's descriptors after 1000 connections in 10 rounds (see {@link DaemonFdTestBase}): out
 * of the suite for its time (about 130 s under TCG).
 */
@Tag("xen-stress")
class DaemonFdStressE2ETest extends DaemonFdTestBase {
  @Override
  int rounds() {
    return 10;
  }

  @Override
  int perRound() {
    return 100;
  }
}
