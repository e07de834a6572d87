package org.chaosvm.libxc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.BitSet;
import java.util.function.Consumer;
import jnr.ffi.Pointer;

/**
 * A 64-bit PV guest's stream (Xen's migration stream v2, as {@code xc_domain_save} writes it)
 * restored into a domain {@link PvBuild#prepare} made, as {@code xc_domain_restore} does, without
 * what libxenguest's restore does and does not need: it maps the whole machine-to-phys table (10
 * MiB on a 4 GiB host, more on a bigger one) and never reads it, and it maps every page of the
 * guest into Dom0, zeros included. Here only the pages that are not zeros are mapped ({@link
 * RestoredPages}). A page the stream gives as XALLOC (a frame, no data: {@link PvSave} sends its
 * pages of zeros so) is cleared, where libxenguest only allocates it.
 *
 * <p>As libxenguest does, in the stream's order: the CPU policy is applied once the static data
 * ends; each batch of pages gets machine frames, its data, and its page tables' entries turned from
 * the guest's frames into machine frames; the TSC and shared info are set as they come. At the END
 * record: each vCPU's context (the start info's rings and event channels, the GDT's frames, CR3) is
 * set, the page tables are pinned, the guest's own p2m is written again, and the grant table is
 * seeded for the console and XenStore pages.
 *
 * <p>A stream this does not know (another guest type, a 32-bit guest, a record a plain PV stream
 * has not) is refused: the domain is then left as it is, for the caller to destroy.
 */
public final class PvRestore {
  /** The function name failures carry: the stream, or what Xen said of it. */
  public static final String FUNCTION = "pv_restore";

  private static final int PAGE_SHIFT = RestoredPages.PAGE_SHIFT;
  private static final int PAGE = RestoredPages.PAGE;
  private static final int RECORD_MAX = 128 << 20;

  private static final long PAGE_DATA_PFN_MASK = 0x000fffffffffffffL;
  private static final long PAGE_DATA_TYPE_MASK = 0xf000000000000000L;

  private static final int NOTAB = RestoredPages.NOTAB;
  private static final int L4TAB = RestoredPages.L4TAB;
  private static final int LTABTYPE_MASK = RestoredPages.LTABTYPE_MASK;
  private static final int XTAB = RestoredPages.XTAB;
  private static final int XALLOC = RestoredPages.XALLOC;
  private static final int BROKEN = RestoredPages.BROKEN;
  private static final long INVALID = RestoredPages.INVALID;
  private static final int ENTRIES = RestoredPages.ENTRIES;
  private static final int MAX_BATCH = RestoredPages.MAX_BATCH;

  private static final int HEADER = RecordReader.HEADER;

  /** The longest PAGE_DATA: its count, a pfn for each page, and the pages. */
  static final int PAGE_DATA_MAX = 8 + 8 * MAX_BATCH + MAX_BATCH * PAGE;

  /** The longest record but PAGE_DATA taken (a vCPU's context is 5 KiB, a p2m's frames 16). */
  private static final int OTHER_RECORD_MAX = 1 << 20;

  // vcpu_guest_context_x86_64 (checked in AbiTest).
  static final int CONTEXT_SIZE = 5168;
  static final int CONTEXT_FLAGS = 512;
  static final int CONTEXT_RDX = 616;
  static final int CONTEXT_GDT_FRAMES = 4832;
  static final int CONTEXT_GDT_ENTS = 4960;
  static final int CONTEXT_CTRLREG = 4984;
  private static final long VGCF_ONLINE = 1 << 5;
  static final int FIRST_RESERVED_GDT_ENTRY = 14 * 512;

  // start_info (x86_64).
  static final int START_NR_PAGES = 32;
  static final int START_SHARED_INFO = 40;
  static final int START_FLAGS = 48;
  static final int START_STORE_MFN = 56;
  static final int START_STORE_EVTCHN = 64;
  static final int START_CONSOLE_MFN = 72;
  static final int START_CONSOLE_EVTCHN = 80;

  // shared_info (x86_64).
  static final int SHARED_VCPU_INFO_SIZE = 64;
  static final int SHARED_LEGACY_VCPUS = 32;
  static final int SHARED_PENDING_SEL = 8;
  static final int SHARED_EVTCHN_PENDING = 2048;
  static final int SHARED_EVTCHN_MASK = 2560;
  static final int SHARED_EVTCHN_BYTES = 512;
  static final int SHARED_ARCH = 3088;
  static final int SHARED_ARCH_SIZE = 48;
  static final int SHARED_FRAME_LIST_LIST = 3096;

  private static final int XEN_DOMCTL_SET_EXT_VCPUCONTEXT = 42;
  private static final int XEN_DOMCTL_SETVCPUEXTSTATE = 62;
  private static final int XEN_DOMCTL_SET_VCPU_MSRS = 73;

  private final XenCtrl xc;
  private final ForeignMemory memory;
  private final PvBuild.Prepared domain;
  private final DomId domid;
  private final Consumer<String> phases;
  private final RecordReader in;
  private final Pointer batch;
  private final RestoredPages pages;

  private long[] p2mFrames = new long[0];
  private final byte[][] basic;
  private final byte[][] extended;
  private final byte[][] xsave;
  private final byte[][] msrs;
  private byte[] cpuidPolicy = new byte[0];
  private byte[] msrPolicy = new byte[0];
  private boolean seenInfo;

  /** Opened when a vCPU's state needs a hypercall buffer; one for all of them. */
  private XenCall hypercalls;

  private boolean staticDataEnded;
  private long sharedInfoFrame = INVALID;
  private long consoleMfn = INVALID;
  private long storeMfn = INVALID;

  private PvRestore(
      XenCtrl xc,
      ForeignMemory memory,
      PvBuild.Prepared domain,
      int fd,
      Pointer batch,
      Consumer<String> phases) {
    this.xc = xc;
    this.memory = memory;
    this.domain = domain;
    this.domid = domain.domid();
    this.phases = phases;
    this.in = new RecordReader(fd, domid);
    this.batch = batch;
    this.pages = new RestoredPages(xc, memory, domid, domain.maxMemoryKib());
    int vcpus = Math.max(1, domain.maxVcpus());
    basic = new byte[vcpus][];
    extended = new byte[vcpus][];
    xsave = new byte[vcpus][];
    msrs = new byte[vcpus][];
  }

  /**
   * Restores the stream {@code fd} is at (its image header first) into {@code domain}, reading up
   * to its END record; where the guest's console and XenStore rings are now. {@code phases} is
   * called with the name of each step as it ends ("stream records", "stream pages", "stream p2m",
   * "stream vcpus", "stream pins", "stream grants"; the first two again for each record).
   */
  public static PvBuild.Rings restore(
      XenCtrl xc, PvBuild.Prepared domain, int fd, Consumer<String> phases) {
    Pointer batch = RestoredPages.batchBuffer(PAGE_DATA_MAX + HEADER);
    try (ForeignMemory memory = ForeignMemory.open()) {
      PvRestore restore = new PvRestore(xc, memory, domain, fd, batch, phases);
      try {
        return restore.run();
      } finally {
        restore.pages.release();
        if (restore.hypercalls != null) {
          restore.hypercalls.close();
        }
      }
    } finally {
      RestoredPages.keep(batch);
    }
  }

  private PvBuild.Rings run() {
    readHeaders();
    while (true) {
      ByteBuffer header = in.nextHeader();
      int type = header.getInt(0);
      long length = Integer.toUnsignedLong(header.getInt(4));
      if (length > RECORD_MAX) {
        throw bad("a record of " + length + " bytes (at most " + RECORD_MAX + ")");
      }
      int padded = (int) ((length + 7) & ~7L);
      if (type == StreamFormat.PAGE_DATA) {
        pageData((int) length, padded);
        phases.accept("stream pages");
        continue;
      }
      if (padded > OTHER_RECORD_MAX) {
        throw bad("a record of type " + Integer.toHexString(type) + " of " + length + " bytes");
      }
      if (type == StreamFormat.END) {
        in.read(padded); // nothing past END is read
        return complete();
      }
      ByteBuffer body = in.readWithAhead(padded);
      record(type, body, (int) length);
      phases.accept("stream records");
    }
  }

  /** The image and domain headers, checked. */
  private void readHeaders() {
    ByteBuffer image = in.read(24).order(ByteOrder.BIG_ENDIAN);
    if (image.getLong(0) != StreamFormat.MARKER || image.getInt(8) != StreamFormat.ID) {
      throw bad("not a libxenguest stream (no XENF image header)");
    }
    if (image.getInt(12) != StreamFormat.VERSION) {
      throw bad("a stream of version " + image.getInt(12) + ", not " + StreamFormat.VERSION);
    }
    if ((image.getShort(16) & StreamFormat.BIG_ENDIAN_OPTION) != 0) {
      in.order(ByteOrder.BIG_ENDIAN);
    }
    ByteBuffer header = in.readWithAhead(16);
    if (header.getInt(0) != StreamFormat.DHDR_TYPE_X86_PV) {
      throw bad("a stream of guest type " + header.getInt(0) + ", not an x86 PV guest's");
    }
    if (header.getShort(4) != PAGE_SHIFT) {
      throw bad("pages of 2^" + header.getShort(4) + " bytes");
    }
  }

  private void record(int type, ByteBuffer body, int length) {
    switch (type) {
      case StreamFormat.X86_PV_INFO -> pvInfo(body, length);
      case StreamFormat.X86_PV_P2M_FRAMES -> p2mFrames(body, length);
      case StreamFormat.X86_PV_VCPU_BASIC,
              StreamFormat.X86_PV_VCPU_EXTENDED,
              StreamFormat.X86_PV_VCPU_XSAVE,
              StreamFormat.X86_PV_VCPU_MSRS ->
          vcpu(type, body, length);
      case StreamFormat.SHARED_INFO -> sharedInfo(body, length);
      case StreamFormat.X86_TSC_INFO -> tscInfo(body, length);
      case StreamFormat.X86_CPUID_POLICY ->
          cpuidPolicy = policy(body, length, StreamFormat.CPUID_LEAF_SIZE, "CPUID");
      case StreamFormat.X86_MSR_POLICY ->
          msrPolicy = policy(body, length, StreamFormat.MSR_ENTRY_SIZE, "MSR");
      case StreamFormat.STATIC_DATA_END -> staticDataEnd();
      default -> {
        if ((type & StreamFormat.OPTIONAL) == 0) {
          throw bad("a record of type " + Integer.toHexString(type) + ", not a PV guest's");
        }
      }
    }
  }

  private void pvInfo(ByteBuffer body, int length) {
    if (length < 8) {
      throw bad("X86_PV_INFO of " + length + " bytes");
    }
    int width = body.get(0);
    int levels = body.get(1);
    if (width != 8 || levels != 4) {
      throw bad("a guest " + (width * 8) + "-bit with " + levels + " page table levels (not 64/4)");
    }
    seenInfo = true;
  }

  private void staticDataEnd() {
    staticDataEnded = true;
    int leaves = cpuidPolicy.length / StreamFormat.CPUID_LEAF_SIZE;
    int entries = msrPolicy.length / StreamFormat.MSR_ENTRY_SIZE;
    if (leaves == 0 && entries == 0) {
      return;
    }
    int[] leaf = {-1};
    int[] subleaf = {-1};
    int[] msr = {-1};
    int rc =
        LibXenGuest.lib()
            .xc_set_domain_cpu_policy(
                xc.handle(),
                domid.value(),
                leaves,
                cpuidPolicy,
                entries,
                msrPolicy,
                leaf,
                subleaf,
                msr);
    NativeCall.checkNonNegative(
        xc.runtime(),
        "xc_set_domain_cpu_policy",
        rc,
        domid,
        () ->
            String.format(
                "the saved CPU policy: leaf %#x/%#x, MSR %#x", leaf[0], subleaf[0], msr[0]));
  }

  private byte[] policy(ByteBuffer body, int length, int entry, String what) {
    if (length % entry != 0) {
      throw bad("a " + what + " policy of " + length + " bytes");
    }
    return bytes(body, 0, length);
  }

  private void p2mFrames(ByteBuffer body, int length) {
    if (!staticDataEnded || !seenInfo) {
      throw bad("X86_PV_P2M_FRAMES before STATIC_DATA_END or X86_PV_INFO");
    }
    if (length < 8) {
      throw bad("X86_PV_P2M_FRAMES of " + length + " bytes");
    }
    long start = Integer.toUnsignedLong(body.getInt(0));
    long end = Integer.toUnsignedLong(body.getInt(4));
    if (start > end || end >= (1L << 31)) {
      throw bad("X86_PV_P2M_FRAMES from pfn " + start + " to " + end);
    }
    grow((int) end);
    int first = (int) (start / ENTRIES);
    int frames = (int) (end / ENTRIES) + 1 - first;
    if (length != 8 + 8 * frames) {
      throw bad("X86_PV_P2M_FRAMES of " + length + " bytes for " + frames + " frames");
    }
    for (int i = 0; i < frames; i++) {
      p2mFrames[first + i] = body.getLong(8 + 8 * i);
    }
  }

  /** Makes room for pfns up to {@code pfn}, and for the p2m's frames that cover them. */
  private void grow(int pfn) {
    if (pfn <= pages.maxPfn()) {
      return;
    }
    pages.grow(pfn);
    int frames = pages.maxPfn() / ENTRIES + 1;
    if (frames > p2mFrames.length) {
      int old = p2mFrames.length;
      p2mFrames = Arrays.copyOf(p2mFrames, Math.max(frames, 2 * old));
      Arrays.fill(p2mFrames, old, p2mFrames.length, INVALID);
    }
  }

  /**
   * A PAGE_DATA record, read whole in one read (with what comes of the next header): its pfns and
   * types, then its pages given frames and written.
   */
  private void pageData(int length, int padded) {
    if (!seenInfo) {
      throw bad("PAGE_DATA before X86_PV_INFO");
    }
    if (length < 8 || padded > PAGE_DATA_MAX) {
      throw bad("PAGE_DATA of " + length + " bytes (at most " + PAGE_DATA_MAX + ")");
    }
    in.readWithAhead(batch, padded);
    phases.accept("stream read");
    long count = Integer.toUnsignedLong(swapped(batch.getInt(0)));
    if (count > MAX_BATCH || 8 + 8 * count > length) {
      throw bad("PAGE_DATA of " + length + " bytes for " + count + " pages");
    }
    long[] entries = new long[(int) count];
    batch.get(8, entries, 0, (int) count);
    // One pass over the entries: this runs interpreted for many restores (its loops are not hot
    // enough for the JIT), so each pass over a batch costs about a ms under TCG.
    int[] pfns = new int[(int) count];
    int[] kinds = new int[(int) count];
    BitSet unframed = new BitSet();
    int[] allocated = new int[(int) count];
    int allocations = 0;
    int withData = 0;
    for (int i = 0; i < count; i++) {
      long entry = swapped(entries[i]);
      long pfn = entry & PAGE_DATA_PFN_MASK;
      if (pfn >= (1L << 31)) {
        throw bad("PAGE_DATA of pfn " + pfn);
      }
      int kind = (int) ((entry & PAGE_DATA_TYPE_MASK) >>> 32);
      grow((int) pfn);
      // A page sent as XALLOC is a plain page (PvSave's zeros): checked as one hereafter.
      pages.setType((int) pfn, kind == XALLOC ? NOTAB : kind);
      if (kind == XTAB || kind == BROKEN) {
        continue;
      }
      if (!pages.populated((int) pfn)) {
        unframed.set((int) pfn);
      }
      if (kind == XALLOC) {
        allocated[allocations++] = (int) pfn;
      } else {
        pfns[withData] = (int) pfn;
        kinds[withData++] = kind;
      }
    }
    if (8 + 8 * count + (long) withData * PAGE != length || padded != length) {
      throw bad("PAGE_DATA of " + length + " bytes for " + withData + " pages of data");
    }
    pages.populate(unframed);
    phases.accept("stream populate");
    if (allocations > 0) {
      pages.clear(allocated, allocations);
      phases.accept("stream clear");
    }
    if (withData > 0) {
      pages.write(pfns, kinds, withData, batch, 8 + 8 * count, phases);
    }
  }

  /** A native-order int of the stream as the stream's order reads it. */
  private int swapped(int value) {
    return in.order() == ByteOrder.nativeOrder() ? value : Integer.reverseBytes(value);
  }

  private long swapped(long value) {
    return in.order() == ByteOrder.nativeOrder() ? value : Long.reverseBytes(value);
  }

  private void vcpu(int type, ByteBuffer body, int length) {
    if (length < 8) {
      throw bad("a vCPU record of " + length + " bytes");
    }
    int vcpu = body.getInt(0);
    int size = length - 8;
    if (size == 0) {
      return; // older senders wrote empty ones
    }
    if (vcpu < 0 || vcpu >= basic.length) {
      throw bad("a record of vCPU " + vcpu + " (the domain has " + basic.length + ")");
    }
    byte[] blob = bytes(body, 8, size);
    switch (type) {
      case StreamFormat.X86_PV_VCPU_BASIC -> {
        if (size != CONTEXT_SIZE) {
          throw bad("a vCPU context of " + size + " bytes, not " + CONTEXT_SIZE);
        }
        basic[vcpu] = blob;
      }
      case StreamFormat.X86_PV_VCPU_EXTENDED -> {
        if (size > Domctl.UNION_SIZE) {
          throw bad("an extended vCPU context of " + size + " bytes");
        }
        extended[vcpu] = blob;
      }
      case StreamFormat.X86_PV_VCPU_XSAVE -> {
        if (size < 16) {
          throw bad("an xsave area of " + size + " bytes");
        }
        xsave[vcpu] = blob;
      }
      default -> {
        if (size % StreamFormat.MSR_ENTRY_SIZE != 0) {
          throw bad("vCPU MSRs of " + size + " bytes");
        }
        msrs[vcpu] = blob;
      }
    }
  }

  private void tscInfo(ByteBuffer body, int length) {
    if (length < 24) {
      throw bad("X86_TSC_INFO of " + length + " bytes");
    }
    int rc =
        LibXenCtrl.lib()
            .xc_domain_set_tsc_info(
                xc.handle(),
                domid.value(),
                body.getInt(0),
                body.getLong(8),
                body.getInt(4),
                body.getInt(16));
    NativeCall.checkNonNegative(
        xc.runtime(), "xc_domain_set_tsc_info", rc, domid, xc::takeLastError);
  }

  /** The saved vCPU infos and arch part go into this domain's shared info; events start masked. */
  private void sharedInfo(ByteBuffer body, int length) {
    if (!seenInfo || length != PAGE) {
      throw bad("SHARED_INFO of " + length + " bytes, or before X86_PV_INFO");
    }
    Pointer page =
        memory.map(domid, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE, new long[] {sharedInfoFrame()});
    try {
      int vcpuInfos = SHARED_VCPU_INFO_SIZE * SHARED_LEGACY_VCPUS;
      page.put(0, bytes(body, 0, vcpuInfos), 0, vcpuInfos);
      page.put(SHARED_ARCH, bytes(body, SHARED_ARCH, SHARED_ARCH_SIZE), 0, SHARED_ARCH_SIZE);
      page.putLong(SHARED_FRAME_LIST_LIST, 0);
      page.setMemory(SHARED_EVTCHN_PENDING, SHARED_EVTCHN_BYTES, (byte) 0);
      for (int i = 0; i < SHARED_LEGACY_VCPUS; i++) {
        page.putLong((long) i * SHARED_VCPU_INFO_SIZE + SHARED_PENDING_SEL, 0);
      }
      page.setMemory(SHARED_EVTCHN_MASK, SHARED_EVTCHN_BYTES, (byte) 0xff);
    } finally {
      memory.unmap(page, 1);
    }
  }

  private PvBuild.Rings complete() {
    if (basic[0] == null) {
      throw bad("no context for vCPU 0");
    }
    // The start info and the guest's p2m first, while the last batch may still be mapped; then
    // no page of the guest is mapped in Dom0 (Xen refuses to make a page that is mapped writable
    // a page table, as a vCPU's CR3 and the pins below do).
    long startInfoPfn =
        ByteBuffer.wrap(basic[0]).order(ByteOrder.LITTLE_ENDIAN).getLong(CONTEXT_RDX);
    frame(startInfoPfn, NOTAB, "the start info");
    startInfo((int) startInfoPfn);
    writeGuestP2m();
    pages.release();
    phases.accept("stream p2m");
    vcpus();
    phases.accept("stream vcpus");
    pages.pinPageTables();
    phases.accept("stream pins");
    int rc =
        LibXenGuest.lib()
            .xc_dom_gnttab_seed(
                xc.handle(),
                domid.value(),
                false,
                consoleMfn,
                storeMfn,
                DomId.DOM0.value(),
                DomId.DOM0.value());
    NativeCall.checkNonNegative(xc.runtime(), "xc_dom_gnttab_seed", rc, domid, xc::takeLastError);
    phases.accept("stream grants");
    return new PvBuild.Rings(consoleMfn, storeMfn);
  }

  private XenCall hypercalls() {
    if (hypercalls == null) {
      hypercalls = XenCall.open();
    }
    return hypercalls;
  }

  /** Each vCPU's saved state set: its context, extended state, xsave area and MSRs. */
  private void vcpus() {
    for (int v = 0; v < basic.length; v++) {
      int vcpu = v;
      if (basic[vcpu] != null) {
        setContext(vcpu, basic[vcpu]);
      }
      if (extended[vcpu] != null) {
        Domctl.call(
            xc,
            domid,
            XEN_DOMCTL_SET_EXT_VCPUCONTEXT,
            "set_ext_vcpucontext",
            u -> u.put(extended[vcpu]));
      }
      if (xsave[vcpu] != null && !nothingSaved(xsave[vcpu])) {
        Domctl.withBlob(
            hypercalls(),
            xc,
            domid,
            xsave[vcpu],
            XEN_DOMCTL_SETVCPUEXTSTATE,
            "setvcpuextstate",
            (u, address) -> u.putInt(0, vcpu).putLong(16, xsave[vcpu].length).putLong(24, address));
      }
      if (msrs[vcpu] != null) {
        Domctl.withBlob(
            hypercalls(),
            xc,
            domid,
            msrs[vcpu],
            XEN_DOMCTL_SET_VCPU_MSRS,
            "set_vcpu_msrs",
            (u, address) ->
                u.putInt(0, vcpu)
                    .putInt(4, msrs[vcpu].length / StreamFormat.MSR_ENTRY_SIZE)
                    .putLong(8, address));
      }
    }
  }

  /**
   * An xsave record of the header alone with no feature ever used (xcr0_accum 0): Xen has nothing
   * to restore from it, and libxenguest's call for it does nothing.
   */
  private static boolean nothingSaved(byte[] xsave) {
    return xsave.length == 16
        && ByteBuffer.wrap(xsave).order(ByteOrder.LITTLE_ENDIAN).getLong(8) == 0;
  }

  /** A vCPU's context with its frames made machine frames; vCPU 0's start info updated. */
  private void setContext(int vcpu, byte[] blob) {
    ByteBuffer context = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    if (vcpu == 0) {
      context.putLong(CONTEXT_RDX, frame(context.getLong(CONTEXT_RDX), NOTAB, "the start info"));
    }
    context.putLong(CONTEXT_FLAGS, context.getLong(CONTEXT_FLAGS) | VGCF_ONLINE);
    long gdtEntries = context.getLong(CONTEXT_GDT_ENTS);
    if (gdtEntries < 0 || gdtEntries > FIRST_RESERVED_GDT_ENTRY) {
      throw bad("vCPU " + vcpu + "'s GDT of " + gdtEntries + " entries");
    }
    for (int i = 0; i < (gdtEntries + 511) / 512; i++) {
      int at = CONTEXT_GDT_FRAMES + 8 * i;
      context.putLong(at, frame(context.getLong(at), NOTAB, "a GDT frame"));
    }
    int cr3 = CONTEXT_CTRLREG + 3 * 8;
    long top = context.getLong(cr3) >>> PAGE_SHIFT;
    context.putLong(cr3, frame(top, L4TAB, "CR3") << PAGE_SHIFT);
    int cr1 = CONTEXT_CTRLREG + 8;
    if ((context.getLong(cr1) & 1) != 0) {
      long user = context.getLong(cr1) >>> PAGE_SHIFT;
      context.putLong(cr1, frame(user, L4TAB, "CR1") << PAGE_SHIFT);
    }
    int rc = LibXenCtrl.lib().xc_vcpu_setcontext(xc.handle(), domid.value(), vcpu, blob);
    NativeCall.checkNonNegative(xc.runtime(), "xc_vcpu_setcontext", rc, domid, xc::takeLastError);
  }

  /**
   * The machine frame of the guest's {@code pfn}, which must have been restored with {@code type}
   * (a page table's level, or none).
   */
  private long frame(long pfn, int type, String what) {
    if (pfn < 0 || pfn > pages.maxPfn() || !pages.populated((int) pfn)) {
      throw bad(what + " at pfn " + pfn + ", which the stream did not restore");
    }
    int kind = pages.type((int) pfn);
    int actual = type == NOTAB ? kind : kind & LTABTYPE_MASK;
    if (actual != type) {
      throw bad(what + " at pfn " + pfn + " is of type " + Integer.toHexString(actual));
    }
    return pages.mfn((int) pfn);
  }

  /** The start info's rings as machine frames, with this domain's event channels. */
  private void startInfo(int pfn) {
    pages.withPage(
        pfn,
        (page, at) -> {
          storeMfn = frame(page.getLong(at + START_STORE_MFN), NOTAB, "the XenStore ring");
          consoleMfn = frame(page.getLong(at + START_CONSOLE_MFN), NOTAB, "the console ring");
          page.putLong(at + START_STORE_MFN, storeMfn);
          page.putInt(at + START_STORE_EVTCHN, domain.storePort());
          page.putLong(at + START_CONSOLE_MFN, consoleMfn);
          page.putInt(at + START_CONSOLE_EVTCHN, domain.consolePort());
          page.putLong(at + START_NR_PAGES, pages.maxPfn() + 1L);
          page.putLong(at + START_SHARED_INFO, sharedInfoFrame() << PAGE_SHIFT);
          page.putInt(at + START_FLAGS, 0);
        });
  }

  /** The guest's own p2m (the frames X86_PV_P2M_FRAMES named), with this host's frames. */
  private void writeGuestP2m() {
    int frames = pages.maxPfn() / ENTRIES + 1;
    int[] pfns = new int[frames];
    for (int i = 0; i < frames; i++) {
      frame(p2mFrames[i], NOTAB, "p2m frame " + i);
      pfns[i] = (int) p2mFrames[i];
    }
    pages.writeGuestP2m(pfns);
  }

  private long sharedInfoFrame() {
    if (sharedInfoFrame == INVALID) {
      sharedInfoFrame = xc.sharedInfoFrame(domid);
    }
    return sharedInfoFrame;
  }

  static byte[] bytes(ByteBuffer body, int offset, int length) {
    byte[] bytes = new byte[length];
    body.get(offset, bytes, 0, length);
    return bytes;
  }

  private XenException bad(String what) {
    return new XenException(FUNCTION, Errno.EINVAL, domid, what);
  }
}
