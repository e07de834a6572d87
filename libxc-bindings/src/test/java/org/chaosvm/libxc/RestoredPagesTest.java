package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class RestoredPagesTest {
  private static BitSet pfns(int from, int to) {
    BitSet set = new BitSet();
    set.set(from, to);
    return set;
  }

  @Test
  void wholeAlignedRunsBecomeSuperpages() {
    assertArrayEquals(new long[] {0, 512}, RestoredPages.superpageRuns(pfns(0, 1024)));
    assertArrayEquals(new long[] {512, 1024}, RestoredPages.superpageRuns(pfns(512, 1536)));
  }

  @Test
  void aRunWithAHoleOrNotAlignedStaysInSinglePages() {
    assertArrayEquals(new long[] {0}, RestoredPages.superpageRuns(pfns(0, 1023)));
    assertArrayEquals(new long[0], RestoredPages.superpageRuns(pfns(1, 514)));
    BitSet holed = pfns(0, 1024);
    holed.clear(700);
    assertArrayEquals(new long[] {0}, RestoredPages.superpageRuns(holed));
  }
}
