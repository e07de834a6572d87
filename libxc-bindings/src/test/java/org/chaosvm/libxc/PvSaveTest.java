package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PvSaveTest {
  @Test
  void theIndexTurnsAGuestsFramesBackIntoItsPfns() {
    long[] p2m = new long[5000];
    for (int pfn = 0; pfn < p2m.length; pfn++) {
      p2m[pfn] = 0x12345000L + 7L * pfn;
    }
    p2m[10] = RestoredPages.INVALID;
    p2m[11] = (1L << 62) | 11; // Linux's identity mark: not a frame
    PvSave.MfnIndex index = new PvSave.MfnIndex(p2m);

    for (int pfn = 0; pfn < p2m.length; pfn++) {
      if (pfn != 10 && pfn != 11) {
        assertEquals(pfn, index.pfn(p2m[pfn]));
      }
    }
    assertEquals(-1, index.pfn(0x12345000L + 1));
    assertEquals(-1, index.pfn(11));
    assertEquals(-1, index.pfn(0));
  }

  @Test
  void aFrameTwoPfnsNameIsTheFirstOnes() {
    PvSave.MfnIndex index = new PvSave.MfnIndex(new long[] {5, 9, 5});

    assertEquals(0, index.pfn(5));
    assertEquals(1, index.pfn(9));
  }
}
