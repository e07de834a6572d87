package org.chaosvm.libxc;

import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A 64-bit PV guest's memory as {@link PvRestore} fills it from a stream: the machine frame each of
 * its pfns has here, the type the stream gave each page, and the pages' data written in.
 *
 * <p>Most of a guest's pages are zero when it is saved (the unikernel's 4 MiB: 1005 of 1024; a
 * Linux guest of 256 MiB after its boot: 72 %), and libxenguest's stream carries each of them
 * whole. A batch's data is read into Dom0's own memory first: a page of zeros is cleared by Xen
 * ({@code MMUEXT_CLEAR_PAGE}), not mapped; only the others are mapped, written and unmapped, which
 * in a PV Dom0 costs a hypercall's work for each page (5 to 10 ms for 1024 pages under TCG). A
 * fresh frame is not known to be zero: Xen scrubs the frames a dying domain leaves, not those a
 * running one gives back, and a debug build of Xen scrubs with 0xc2 so that no one relies on it.
 *
 * <p>Frames are given in runs of 512 (2 MiB, one extent of order 9), as libxenguest's PV builder
 * does, where a batch asks for a whole aligned run; what Xen cannot give so gets single frames.
 */
final class RestoredPages {
  static final int PAGE_SHIFT = 12;
  static final int PAGE = 1 << PAGE_SHIFT;

  /** The most pages one PAGE_DATA record has (libxenguest's MAX_BATCH_SIZE). */
  static final int MAX_BATCH = 1024;

  // XEN_DOMCTL_PFINFO_*: a page's type, as PAGE_DATA gives it in its pfns' top bits.
  static final int NOTAB = 0;
  static final int LTABTYPE_MASK = 0x7 << 28;
  static final int L1TAB = 0x1 << 28;
  static final int L4TAB = 0x4 << 28;
  static final int LPINTAB = 0x8 << 28;
  static final int XTAB = 0xf << 28;
  static final int XALLOC = 0xe << 28;
  static final int BROKEN = 0xd << 28;

  static final long INVALID = -1L;
  static final long PTE_PRESENT = 1;
  static final long PTE_FRAME_MASK = 0x000ffffffffff000L;
  static final int ENTRIES = PAGE / 8;

  private static final int SUPERPAGE_ORDER = 9;
  static final int SUPERPAGE = 1 << SUPERPAGE_ORDER;

  // struct mmuext_op: cmd, arg1, arg2 (24 bytes; checked in AbiTest, as the types above).
  static final int MMUEXT_CLEAR_PAGE = 16;
  private static final int OPS_BATCH = MAX_BATCH;

  /**
   * How far a guest's pfns may reach past its pages: Linux's p2m also covers the memory it may
   * balloon up to (at most ten times its start, in Linux's own bound).
   */
  private static final long PFN_SPAN = 16;

  private static final long PFN_FLOOR = 1 << 20;

  /**
   * Batch buffers kept from one restore to the next: a fresh one's first read costs a page fault
   * for each of its 1024 pages, which a PV Dom0 takes through Xen.
   */
  private static final ConcurrentLinkedQueue<Pointer> BUFFERS = new ConcurrentLinkedQueue<>();

  private static final int BUFFERS_KEPT = 2;

  private final XenCtrl xc;
  private final ForeignMemory memory;
  private final DomId domid;
  private final long limit;
  private final long domainPages;

  private long[] p2m = new long[0];
  private int[] types = new int[0];
  private int maxPfn = -1;

  /** The last batch written with data, still mapped; null once released. */
  private Mapped lastBatch;

  RestoredPages(XenCtrl xc, ForeignMemory memory, DomId domid, long maxMemoryKib) {
    this.xc = xc;
    this.memory = memory;
    this.domid = domid;
    this.domainPages = maxMemoryKib / 4;
    this.limit = Math.max(PFN_SPAN * domainPages, PFN_FLOOR);
  }

  /**
   * A buffer of {@code size} bytes for a batch (at least {@link #MAX_BATCH} pages and what the
   * stream reads with them); give it back with {@link #keep}. One size is asked of all.
   */
  static Pointer batchBuffer(int size) {
    Pointer kept = BUFFERS.poll();
    return kept != null && kept.size() == size
        ? kept
        : Memory.allocateDirect(LibC.runtime(), size, false);
  }

  /** Keeps {@code buffer} for the next restore (a few are kept; the rest go to the collector). */
  static void keep(Pointer buffer) {
    if (BUFFERS.size() < BUFFERS_KEPT) {
      BUFFERS.offer(buffer);
    }
  }

  /** The highest pfn seen, or -1. */
  int maxPfn() {
    return maxPfn;
  }

  /**
   * Makes room for pfns up to {@code pfn}: the guest's highest pfn is at least that. A pfn far
   * beyond what the domain may hold is refused, so that an image cannot have the daemon allocate
   * what it names: at most {@link #PFN_SPAN} times the domain's pages, or {@link #PFN_FLOOR}.
   */
  void grow(int pfn) {
    if (pfn <= maxPfn) {
      return;
    }
    if (pfn >= limit) {
      throw bad("pfn " + pfn + ", far beyond the domain's " + domainPages + " pages");
    }
    if (pfn >= p2m.length) {
      int old = p2m.length;
      int size = (int) Math.min(limit, Math.max(pfn + 1L, 2L * old));
      p2m = Arrays.copyOf(p2m, size);
      types = Arrays.copyOf(types, size);
      Arrays.fill(p2m, old, size, INVALID);
    }
    maxPfn = pfn;
  }

  boolean populated(int pfn) {
    return p2m[pfn] != INVALID;
  }

  void setType(int pfn, int type) {
    types[pfn] = type;
  }

  /** The page's type as the stream gave it. */
  int type(int pfn) {
    return types[pfn];
  }

  /** The machine frame {@code pfn} has here, or {@link #INVALID}. */
  long mfn(int pfn) {
    return p2m[pfn];
  }

  /** Gives each pfn in {@code pfns}, which have none yet, a machine frame: aligned runs as one. */
  void populate(BitSet pfns) {
    BitSet wanted = pfns;
    long[] runs = superpageRuns(pfns);
    if (runs.length > 0) {
      wanted = (BitSet) pfns.clone();
      long[] extents = runs.clone();
      int rc =
          LibXenCtrl.lib()
              .xc_domain_populate_physmap(
                  xc.handle(), domid.value(), extents.length, SUPERPAGE_ORDER, 0, extents);
      if (rc < 0) {
        // Dropped, so that a later failure is not told this one's message: the single frames'
        // call below says what is wrong, if anything is.
        xc.takeLastError();
      }
      for (int i = 0; i < Math.max(rc, 0); i++) {
        int first = (int) runs[i];
        for (int j = 0; j < SUPERPAGE; j++) {
          p2m[first + j] = extents[i] + j;
        }
        wanted.clear(first, first + SUPERPAGE);
      }
    }
    int count = wanted.cardinality();
    if (count == 0) {
      return;
    }
    long[] extents = new long[count];
    int i = 0;
    for (int pfn = wanted.nextSetBit(0); pfn >= 0; pfn = wanted.nextSetBit(pfn + 1)) {
      extents[i++] = pfn;
    }
    int rc =
        LibXenCtrl.lib()
            .xc_domain_populate_physmap_exact(
                xc.handle(), domid.value(), extents.length, 0, 0, extents);
    NativeCall.checkNonNegative(
        xc.runtime(), "xc_domain_populate_physmap_exact", rc, domid, xc::takeLastError);
    i = 0;
    for (int pfn = wanted.nextSetBit(0); pfn >= 0; pfn = wanted.nextSetBit(pfn + 1)) {
      p2m[pfn] = extents[i++];
    }
  }

  /** The first pfn of each aligned run of {@link #SUPERPAGE} pfns all in {@code pfns}. */
  static long[] superpageRuns(BitSet pfns) {
    long[] runs = new long[pfns.cardinality() / SUPERPAGE];
    int n = 0;
    int pfn = pfns.nextSetBit(0);
    while (pfn >= 0 && n < runs.length) {
      int aligned = (pfn + SUPERPAGE - 1) & -SUPERPAGE;
      if (aligned != pfn) {
        pfn = pfns.nextSetBit(aligned);
        continue;
      }
      int end = pfns.nextClearBit(pfn);
      if (end - pfn >= SUPERPAGE) {
        runs[n++] = pfn;
        pfn = pfns.nextSetBit(pfn + SUPERPAGE);
      } else {
        pfn = pfns.nextSetBit(end);
      }
    }
    return Arrays.copyOf(runs, n);
  }

  /**
   * Writes a batch's pages, which have frames: page {@code j}'s data is at {@code at + j * PAGE} in
   * {@code data}, for {@code pfns[j]} of type {@code kinds[j]}; page tables' entries go from the
   * guest's frames to this host's. {@code pages} is at most {@link #MAX_BATCH}. {@code phases}
   * hears "stream scan", "stream clear", "stream map", "stream write". The pages written stay
   * mapped until the next batch with data is mapped, or {@link #release}.
   */
  void write(int[] pfns, int[] kinds, int pages, Pointer data, long at, Consumer<String> phases) {
    int[] zeroPages = new int[pages];
    int[] written = new int[pages];
    int zeros = sortZeros(data, at, pages, zeroPages, written);
    int count = pages - zeros;
    for (int k = 0; k < zeros; k++) {
      zeroPages[k] = pfns[zeroPages[k]];
    }
    phases.accept("stream scan");
    clear(zeroPages, zeros);
    phases.accept("stream clear");
    if (count == 0) {
      return;
    }
    long[] frames = new long[count];
    long[] table = new long[ENTRIES];
    for (int k = 0; k < count; k++) {
      int j = written[k];
      frames[k] = p2m[pfns[j]];
      int level = kinds[j] & LTABTYPE_MASK;
      if (level >= L1TAB && level <= L4TAB) {
        localise(data, at + (long) j * PAGE, table);
      }
    }
    release();
    Pointer mapped = memory.map(domid, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, frames);
    phases.accept("stream map");
    boolean kept = false;
    try {
      for (int k = 0; k < count; k++) {
        data.transferTo(at + (long) written[k] * PAGE, mapped, (long) k * PAGE, PAGE);
      }
      phases.accept("stream write");
      int[] mappedPfns = new int[count];
      for (int k = 0; k < count; k++) {
        mappedPfns[k] = pfns[written[k]];
      }
      lastBatch = new Mapped(mapped, mappedPfns);
      kept = true;
    } finally {
      if (!kept) {
        memory.unmap(mapped, count);
      }
    }
  }

  /** Has Xen clear the first {@code count} pages of {@code pfns}, which have frames. */
  void clear(int[] pfns, int count) {
    long[] clears = new long[3 * count];
    for (int k = 0; k < count; k++) {
      clears[3 * k] = MMUEXT_CLEAR_PAGE;
      clears[3 * k + 1] = p2m[pfns[k]];
    }
    mmuext(clears, count);
  }

  /**
   * The pages of the last batch written, still mapped: the start info and the guest's own p2m,
   * which the stream's end writes again, are among them in a small guest (one batch), and each
   * mapping of a page spared is a ms under TCG.
   */
  private record Mapped(Pointer pages, int[] pfns) {
    /** Where {@code pfn}'s page is in {@link #pages}, or -1. */
    long offset(int pfn) {
      for (int k = 0; k < pfns.length; k++) {
        if (pfns[k] == pfn) {
          return (long) k * PAGE;
        }
      }
      return -1;
    }
  }

  /** What is done to a page mapped at {@code at} in {@code mapping}. */
  @FunctionalInterface
  interface PageWork {
    void on(Pointer mapping, long at);
  }

  /** Unmaps the last batch's pages, if they are mapped; the domain's pages are then Xen's alone. */
  void release() {
    if (lastBatch != null) {
      Mapped batch = lastBatch;
      lastBatch = null;
      memory.unmap(batch.pages(), batch.pfns().length);
    }
  }

  /**
   * Runs {@code work} on {@code pfn}'s page, mapped (it must have a frame): through the last
   * batch's mapping if it is there, else mapped for the call.
   */
  void withPage(int pfn, PageWork work) {
    long at = lastBatch == null ? -1 : lastBatch.offset(pfn);
    if (at >= 0) {
      work.on(lastBatch.pages(), at);
      return;
    }
    Pointer mapped =
        memory.map(domid, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, new long[] {p2m[pfn]});
    try {
      work.on(mapped, 0);
    } finally {
      memory.unmap(mapped, 1);
    }
  }

  /**
   * Sorts the {@code pages} pages at {@code at} in {@code data} by their indexes: those of zeros
   * alone into {@code zeros}, the others into {@code others}, each in order; answers how many are
   * zeros. Runs of zeros are found in spans that double while they hold (most of a batch is a run
   * or two): a few calls to memcmp for a batch rather than one for each page.
   */
  static int sortZeros(Pointer data, long at, int pages, int[] zeros, int[] others) {
    int z = 0;
    int o = 0;
    int step = 1;
    for (int j = 0; j < pages; ) {
      int span = Math.min(step, pages - j);
      if (zeros(data, at + (long) j * PAGE, (long) span * PAGE)) {
        for (int k = j; k < j + span; k++) {
          zeros[z++] = k;
        }
        j += span;
        step *= 2;
      } else if (span == 1) {
        others[o++] = j++;
      } else {
        step = 1;
      }
    }
    return z;
  }

  /**
   * Whether the {@code length} bytes at {@code offset} in {@code data} are all zeros: the first 8
   * are, and each byte equals the one 8 further on (one call to memcmp, with no page of zeros to
   * compare with).
   */
  private static boolean zeros(Pointer data, long offset, long length) {
    return data.getLong(offset) == 0
        && LibC.lib().memcmp(data.slice(offset), data.slice(offset + 8), length - 8) == 0;
  }

  /**
   * A page table's entries, from the guest's frames to the machine frames they have here; a frame
   * no PAGE_DATA has given yet gets one now, as libxenguest does.
   */
  private void localise(Pointer pages, long offset, long[] table) {
    pages.get(offset, table, 0, ENTRIES);
    // No calls on the common path: this runs interpreted for 512 entries of each page table
    // (a Linux guest's hundreds of them), where each call costs.
    for (int i = 0; i < ENTRIES; i++) {
      long pte = table[i];
      if ((pte & PTE_PRESENT) == 0) {
        continue;
      }
      long pfn = (pte & PTE_FRAME_MASK) >>> PAGE_SHIFT;
      long mfn = pfn <= maxPfn ? p2m[(int) pfn] : INVALID;
      if (mfn == INVALID) {
        mfn = frameGiven(pte);
      }
      table[i] = (pte & ~PTE_FRAME_MASK) | (mfn << PAGE_SHIFT);
    }
    pages.put(offset, table, 0, ENTRIES);
  }

  /** The machine frame of a page table entry's pfn, given one now if it has none yet. */
  private long frameGiven(long pte) {
    int pfn = frameOf(pte);
    grow(pfn);
    if (p2m[pfn] == INVALID) {
      BitSet one = new BitSet();
      one.set(pfn);
      populate(one);
    }
    return p2m[pfn];
  }

  private int frameOf(long pte) {
    long pfn = (pte & PTE_FRAME_MASK) >>> PAGE_SHIFT;
    if (pfn >= (1L << 31)) {
      throw bad("a page table entry for pfn " + pfn);
    }
    return (int) pfn;
  }

  /** Pins every page the stream marked a pinned page table, at its level. */
  void pinPageTables() {
    long[] ops = new long[3 * OPS_BATCH];
    int n = 0;
    for (int pfn = 0; pfn <= maxPfn; pfn++) {
      if ((types[pfn] & LPINTAB) == 0) {
        continue;
      }
      int level = (types[pfn] & LTABTYPE_MASK) >>> 28;
      if (level < 1 || level > 4) {
        continue;
      }
      ops[3 * n] = level - 1; // MMUEXT_PIN_L1_TABLE .. MMUEXT_PIN_L4_TABLE
      ops[3 * n + 1] = p2m[pfn];
      ops[3 * n + 2] = 0;
      if (++n == OPS_BATCH) {
        mmuext(ops, n);
        n = 0;
      }
    }
    mmuext(ops, n);
  }

  private void mmuext(long[] ops, int n) {
    if (n == 0) {
      return;
    }
    int rc = LibXenCtrl.lib().xc_mmuext_op(xc.handle(), ops, n, domid.value());
    NativeCall.checkNonNegative(xc.runtime(), "xc_mmuext_op", rc, domid, xc::takeLastError);
  }

  /**
   * Writes the guest's own p2m, with this host's frames, into its pages {@code pfns} (each holds
   * {@link #ENTRIES} of it, in order).
   */
  void writeGuestP2m(int[] pfns) {
    long[] kept = new long[pfns.length];
    boolean allKept = lastBatch != null;
    for (int i = 0; i < pfns.length && allKept; i++) {
      kept[i] = lastBatch.offset(pfns[i]);
      allKept = kept[i] >= 0;
    }
    int entries = maxPfn + 1;
    if (allKept) {
      for (int i = 0; i < pfns.length; i++) {
        lastBatch.pages().put(kept[i], p2m, i * ENTRIES, Math.min(ENTRIES, entries - i * ENTRIES));
      }
      return;
    }
    long[] frames = new long[pfns.length];
    for (int i = 0; i < pfns.length; i++) {
      frames[i] = p2m[pfns[i]];
    }
    Pointer mapped = memory.map(domid, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, frames);
    try {
      mapped.put(0, p2m, 0, entries);
    } finally {
      memory.unmap(mapped, frames.length);
    }
  }

  private XenException bad(String what) {
    return new XenException(PvRestore.FUNCTION, Errno.EINVAL, domid, what);
  }
}
