package org.chaosvm.rig;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class XlTest {
  @Test
  void listOutputYieldsDomainNamesInOrder() {
    String output =
        "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
            + "Domain-0                                     0  2048     2     r-----      16.9\n"
            + "hello                                        1   256     1     -b----       0.3\n";

    assertEquals(List.of("Domain-0", "hello"), Xl.parseListNames(output));
  }

  @Test
  void warningsBeforeTheHeaderAreNotDomains() {
    String output =
        "libxl: warning: something odd\n"
            + "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
            + "Domain-0                                     0  2048     2     r-----      16.9\n";

    assertEquals(List.of("Domain-0"), Xl.parseListNames(output));
  }
}
