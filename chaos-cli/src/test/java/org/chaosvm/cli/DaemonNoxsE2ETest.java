package org.chaosvm.cli;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/** {@link NoxsDaemonCycle} on a Dom0 where xenstored runs: noxs guests' creates leave it alone. */
@Tag("xen")
class DaemonNoxsE2ETest extends NoxsDaemonCycle {
  @BeforeAll
  static void start() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock: no noxs");
    startDaemon();
  }

  @AfterAll
  static void stop() throws Exception {
    stopDaemon();
  }
}
