package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.BitSet;
import java.util.stream.IntStream;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
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

  /** Sorts {@code pages} pages, those in {@code nonZero} given a byte at {@code at}; the zeros. */
  private static int[] zerosOf(int pages, int[] nonZero, int at, byte value) {
    int page = RestoredPages.PAGE;
    Pointer data = Memory.allocateDirect(LibC.runtime(), pages * page, true);
    for (int j : nonZero) {
      data.putByte((long) j * page + at, value);
    }
    int[] zeros = new int[pages];
    int[] others = new int[pages];
    int count = RestoredPages.sortZeros(data, 0, pages, zeros, others);
    assertArrayEquals(nonZero, Arrays.copyOf(others, pages - count), "the pages with data");
    return Arrays.copyOf(zeros, count);
  }

  private static int[] allBut(int pages, int... nonZero) {
    return IntStream.range(0, pages)
        .filter(j -> Arrays.stream(nonZero).noneMatch(n -> n == j))
        .toArray();
  }

  @Test
  void aByteAnywhereInAPageMakesItAPageWithData() {
    int[] nonZero = {0, 1, 2, 19, 500, 1022, 1023};
    for (int at : new int[] {0, 7, 8, 2048, 4088, 4095}) {
      assertArrayEquals(allBut(1024, nonZero), zerosOf(1024, nonZero, at, (byte) 1), "at " + at);
    }
  }

  @Test
  void aBatchOfZerosOrOfDataIsSortedWhole() {
    assertArrayEquals(allBut(1024), zerosOf(1024, new int[0], 0, (byte) 0));
    int[] every = IntStream.range(0, 64).toArray();
    assertArrayEquals(new int[0], zerosOf(64, every, 4095, (byte) -1));
    assertArrayEquals(allBut(3, 1), zerosOf(3, new int[] {1}, 100, (byte) 0x80));
  }

  @Test
  void aPageOfOneRepeatedWordIsNotZeros() {
    int page = RestoredPages.PAGE;
    Pointer data = Memory.allocateDirect(LibC.runtime(), 4 * page, true);
    for (int i = 0; i < page; i += 8) {
      data.putLong(2L * page + i, 0x0101010101010101L); // each byte equals the one 8 on
    }
    int[] zeros = new int[4];
    int[] others = new int[4];
    assertArrayEquals(
        new int[] {0, 1, 3},
        Arrays.copyOf(zeros, RestoredPages.sortZeros(data, 0, 4, zeros, others)));
    assertArrayEquals(new int[] {2}, Arrays.copyOf(others, 1));
  }
}
