package org.chaosvm.cli;

import org.junit.jupiter.api.Tag;

/** The daemon's descriptors after 200 connections in 4 rounds (see {@link DaemonFdTestBase}). */
@Tag("xen")
class DaemonFdE2ETest extends DaemonFdTestBase {
  @Override
  int rounds() {
    return 4;
  }

  @Override
  int perRound() {
    return 50;
  }
}
