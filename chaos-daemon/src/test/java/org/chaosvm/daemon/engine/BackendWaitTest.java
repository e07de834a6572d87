package org.chaosvm.daemon.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BackendWaitTest {
  @Test
  void aDriversErrorIsToldInItsWordsWithTheErrnoNamed() {
    assertEquals(
        "creating vbd structure: ENOENT (No such file or directory)",
        BackendWait.describe("2 creating vbd structure"));
  }

  @Test
  void anErrnoWithoutANameKeepsItsNumberAndOddTextIsShownAsItIs() {
    assertEquals("reading mode: errno 4242", BackendWait.describe("4242 reading mode"));
    assertEquals("no number here", BackendWait.describe(" no number here\n"));
  }
}
