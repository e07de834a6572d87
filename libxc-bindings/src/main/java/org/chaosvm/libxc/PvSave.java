package org.chaosvm.libxc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import jnr.ffi.Pointer;

/**
 * A suspended 64-bit PV guest's stream (Xen's migration stream v2, version 3, in the records and
 * order of a plain non-live {@code xc_domain_save}), written by chaos, without what libxenguest's
 * save does and does not need: it maps the host's whole machine-to-phys table (10 MiB on a 4 GiB
 * host; its unmapping alone took 16 ms of each unikernel save under TCG) to turn the page tables'
 * machine frames into the guest's, where the guest's own p2m, read anyway, answers as well; and it
 * writes every page whole, the zeros too (1005 of the unikernel's 1024 pages).
 *
 * <p>Here a page of zeros that is not a page table goes into the stream as XALLOC: its pfn alone,
 * no data. {@link PvRestore} gives such a page a frame and clears it. (libxenguest's restore would
 * give it a frame and not clear it: an image of this save is one for chaos's restore.)
 *
 * <p>It reads the guest's p2m as a virtual list (the shared info's {@code p2m_cr3} and {@code
 * p2m_vaddr}, which the unikernel and Linux give), walking the guest's page tables to its frames,
 * as libxenguest does. A guest it does not know (32-bit, or one with only the older p2m tree) is
 * left to libxenguest: {@link #save} says so before it writes anything.
 */
final class PvSave {
  static final String FUNCTION = "pv_save";

  private static final long PTE_PSE = 1 << 7;
  private static final long ADDRESS_MASK = 0x0000ffffffffffffL;

  /** The L4 slots Xen keeps for itself in a 64-bit guest's tables (its range 0xffff8000...). */
  private static final int XEN_FIRST_L4 = 256;

  private static final int XEN_LAST_L4 = 271;
  private static final long XEN_VIRT_START = 0xffff800000000000L;
  private static final long XEN_VIRT_END = 0xffff87ffffffffffL;

  // shared_info's arch part (x86_64; checked in AbiTest).
  static final int SHARED_MAX_PFN = PvRestore.SHARED_ARCH;
  static final int SHARED_P2M_CR3 = PvRestore.SHARED_ARCH + 24;
  static final int SHARED_P2M_VADDR = PvRestore.SHARED_ARCH + 32;

  // Domctls and their unions (checked in AbiTest).
  private static final int XEN_DOMCTL_GETVCPUINFO = 14;
  private static final int XEN_DOMCTL_GET_ADDRESS_SIZE = 36;
  private static final int XEN_DOMCTL_GET_EXT_VCPUCONTEXT = 43;
  private static final int XEN_DOMCTL_GETPAGEFRAMEINFO3 = 61;
  private static final int XEN_DOMCTL_GETVCPUEXTSTATE = 63;
  private static final int XEN_DOMCTL_GET_VCPU_MSRS = 72;
  static final int VCPUINFO_ONLINE = 4;
  static final int EXT_VCPUCONTEXT_SIZE = 4;
  static final int VCPUEXTSTATE_MASK = 8;
  static final int VCPUEXTSTATE_SIZE = 16;
  static final int VCPUEXTSTATE_BUFFER = 24;
  static final int VCPU_MSRS_COUNT = 4;
  static final int VCPU_MSRS_BUFFER = 8;

  /** Room for a vcpu_guest_context_any_t (its 64-bit form is the larger). */
  private static final int CONTEXT_ANY = 8192;

  private final XenCtrl xc;
  private final XenCall call;
  private final ForeignMemory memory;
  private final DomId domid;
  private final int fd;
  private final Pointer out;
  private final byte[] sharedInfo;

  private int maxPfn;
  private long[] p2m;
  private long[] p2mFrameMfns;
  private MfnIndex pfnOf;

  private PvSave(
      XenCtrl xc,
      XenCall call,
      ForeignMemory memory,
      DomId domid,
      int fd,
      Pointer out,
      byte[] sharedInfo) {
    this.xc = xc;
    this.call = call;
    this.memory = memory;
    this.domid = domid;
    this.fd = fd;
    this.out = out;
    this.sharedInfo = sharedInfo;
  }

  /**
   * Writes the stream of {@code domid}, which must be shut down for a suspend, to {@code fd}; true
   * once written. False, with nothing written, if the guest is one for libxenguest's save (not 64
   * bits wide, or its p2m not a virtual list). On failure the domain is left as it is.
   */
  static boolean save(XenCtrl xc, DomId domid, int fd) {
    int width =
        Domctl.call(xc, domid, XEN_DOMCTL_GET_ADDRESS_SIZE, "get_address_size", u -> {}).getInt(0);
    if (width != 64) {
      return false;
    }
    DomainInfo info =
        xc.domainInfo(domid)
            .orElseThrow(() -> new XenException(FUNCTION, Errno.ESRCH, domid, "no such domain"));
    if (!info.suspended()) {
      throw new XenException(FUNCTION, Errno.EINVAL, domid, "the domain is not suspended");
    }
    Pointer out = RestoredPages.batchBuffer(PvRestore.PAGE_DATA_MAX + RecordReader.HEADER);
    try (ForeignMemory memory = ForeignMemory.open();
        XenCall call = XenCall.open()) {
      byte[] shared = new byte[RestoredPages.PAGE];
      Pointer page = memory.map(domid, LinuxAbi.PROT_READ, new long[] {xc.sharedInfoFrame(domid)});
      try {
        page.get(0, shared, 0, RestoredPages.PAGE);
      } finally {
        memory.unmap(page, 1);
      }
      PvSave save = new PvSave(xc, call, memory, domid, fd, out, shared);
      if (save.sharedLong(SHARED_P2M_CR3) == 0) {
        return false;
      }
      save.run();
      return true;
    } finally {
      RestoredPages.keep(out);
    }
  }

  private void run() {
    readP2m();
    writeHeaders();
    record(StreamFormat.X86_PV_INFO, new byte[] {8, 4, 0, 0, 0, 0, 0, 0});
    cpuPolicy();
    record(StreamFormat.STATIC_DATA_END, new byte[0]);
    p2mFrames();
    for (int first = 0; first <= maxPfn; first += RestoredPages.MAX_BATCH) {
      pages(first, Math.min(RestoredPages.MAX_BATCH, maxPfn + 1 - first));
    }
    tscInfo();
    record(StreamFormat.SHARED_INFO, sharedInfo);
    vcpus();
    record(StreamFormat.END, new byte[0]);
  }

  private long sharedLong(int offset) {
    return ByteBuffer.wrap(sharedInfo).order(ByteOrder.LITTLE_ENDIAN).getLong(offset);
  }

  /**
   * The guest's p2m, read from its virtual list: the guest's page tables walked from {@code
   * p2m_cr3} down to the list's frames, as libxenguest's {@code map_p2m_list} does, trailing
   * level-2 entries that all name one page (a Linux guest's p2m of missing pages) left out.
   */
  private void readP2m() {
    long maxPfnSaid = sharedLong(SHARED_MAX_PFN) - 1;
    if (maxPfnSaid < 0 || maxPfnSaid >= (1L << 31)) {
      throw bad("the shared info's max_pfn " + (maxPfnSaid + 1));
    }
    maxPfn = (int) maxPfnSaid;
    long vaddr = sharedLong(SHARED_P2M_VADDR);
    long frames = maxPfn / RestoredPages.ENTRIES + 1;
    long end = vaddr + frames * RestoredPages.PAGE - 1;
    if (!canonical(vaddr)
        || !canonical(end)
        || Long.compareUnsigned(end, vaddr) < 0
        || (Long.compareUnsigned(vaddr, XEN_VIRT_END) <= 0
            && Long.compareUnsigned(end, XEN_VIRT_START) > 0)) {
      throw bad(String.format("the p2m list's range %#x-%#x", vaddr, end));
    }
    long[] mfns = {sharedLong(SHARED_P2M_CR3) >>> RestoredPages.PAGE_SHIFT};
    long offset = 0;
    int start = 0;
    int last = 0;
    for (int level = 4; level > 0; level--) {
      int shift = level * 9 + 3;
      long[] ptes = readPages(mfns, "page table pages of the p2m list");
      start = (int) (((vaddr - offset) & ADDRESS_MASK) >>> shift);
      last = (int) (((end - offset) & ADDRESS_MASK) >>> shift);
      if (last >= ptes.length) {
        throw bad("the p2m list's level-" + level + " entries past its tables");
      }
      long[] next = new long[last - start + 1];
      int repeatsFrom = 0;
      for (int idx = start; idx <= last; idx++) {
        long mfn = (ptes[idx] & RestoredPages.PTE_FRAME_MASK) >>> RestoredPages.PAGE_SHIFT;
        if ((ptes[idx] & RestoredPages.PTE_PRESENT) == 0 || mfn == 0) {
          throw bad(String.format("no frame for the p2m list at level %d, entry %d", level, idx));
        }
        next[idx - start] = mfn;
        if (idx > start && mfn != next[idx - start - 1]) {
          repeatsFrom = idx - start;
        }
      }
      if (level == 2 && repeatsFrom > 0 && repeatsFrom < next.length - 1) {
        // Entries from repeatsFrom on all name one table: the list's end is before them.
        maxPfn = Math.min(maxPfn, repeatsFrom * RestoredPages.ENTRIES * RestoredPages.ENTRIES - 1);
        frames = maxPfn / RestoredPages.ENTRIES + 1;
        end = vaddr + frames * RestoredPages.PAGE - 1;
        next = Arrays.copyOf(next, repeatsFrom + 1);
      }
      offset = vaddr & ((ADDRESS_MASK >>> shift) << shift);
      mfns = next;
    }
    p2mFrameMfns = Arrays.copyOf(mfns, (int) frames);
    long[] list = readPages(p2mFrameMfns, "the p2m list");
    p2m = Arrays.copyOf(list, maxPfn + 1);
    pfnOf = new MfnIndex(p2m);
  }

  private static boolean canonical(long vaddr) {
    return (vaddr >> 47) == (vaddr >> 63);
  }

  /** The guest's pages at {@code mfns}, read whole as 64-bit words. */
  private long[] readPages(long[] mfns, String what) {
    Pointer pages;
    try {
      pages = memory.map(domid, LinuxAbi.PROT_READ, mfns);
    } catch (XenException e) {
      throw bad("cannot map " + what + ": " + e.getMessage());
    }
    try {
      long[] words = new long[mfns.length * RestoredPages.ENTRIES];
      pages.get(0, words, 0, words.length);
      return words;
    } finally {
      memory.unmap(pages, mfns.length);
    }
  }

  private void writeHeaders() {
    int version = LibXenCtrl.lib().xc_version(xc.handle(), 0, null);
    if (version < 0) {
      throw new XenException(FUNCTION, Errno.EINVAL, domid, "cannot read Xen's version");
    }
    ByteBuffer image = ByteBuffer.allocate(24).order(ByteOrder.BIG_ENDIAN);
    image
        .putLong(StreamFormat.MARKER)
        .putInt(StreamFormat.ID)
        .putInt(StreamFormat.VERSION)
        .putShort((short) 0);
    ByteBuffer domain = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    domain
        .putInt(StreamFormat.DHDR_TYPE_X86_PV)
        .putShort((short) RestoredPages.PAGE_SHIFT)
        .putShort((short) 0);
    domain.putInt(version >>> 16).putInt(version & 0xffff);
    out.put(0, image.array(), 0, 24);
    out.put(24, domain.array(), 0, 16);
    writeOut(40);
  }

  /** The domain's CPUID and MSR policy, as libxenguest's static data has them. */
  private void cpuPolicy() {
    int[] leaves = new int[1];
    int[] msrs = new int[1];
    LibXenGuest.Native guest = LibXenGuest.lib();
    check("xc_cpu_policy_get_size", guest.xc_cpu_policy_get_size(xc.handle(), leaves, msrs));
    Pointer policy = guest.xc_cpu_policy_init();
    if (policy == null) {
      throw new XenException("xc_cpu_policy_init", Errno.ENOMEM, domid, "no memory");
    }
    try {
      check(
          "xc_cpu_policy_get_domain",
          guest.xc_cpu_policy_get_domain(xc.handle(), domid.value(), policy));
      byte[] leafBytes = new byte[leaves[0] * StreamFormat.CPUID_LEAF_SIZE];
      byte[] msrBytes = new byte[msrs[0] * StreamFormat.MSR_ENTRY_SIZE];
      check(
          "xc_cpu_policy_serialise",
          guest.xc_cpu_policy_serialise(xc.handle(), policy, leafBytes, leaves, msrBytes, msrs));
      if (leaves[0] > 0) {
        record(
            StreamFormat.X86_CPUID_POLICY,
            Arrays.copyOf(leafBytes, leaves[0] * StreamFormat.CPUID_LEAF_SIZE));
      }
      if (msrs[0] > 0) {
        record(
            StreamFormat.X86_MSR_POLICY,
            Arrays.copyOf(msrBytes, msrs[0] * StreamFormat.MSR_ENTRY_SIZE));
      }
    } finally {
      guest.xc_cpu_policy_destroy(policy);
    }
  }

  /** The pfns of the p2m list's frames, from pfn 0 to the last. */
  private void p2mFrames() {
    ByteBuffer body =
        ByteBuffer.allocate(8 + 8 * p2mFrameMfns.length).order(ByteOrder.LITTLE_ENDIAN);
    body.putInt(0).putInt(maxPfn);
    for (int i = 0; i < p2mFrameMfns.length; i++) {
      body.putLong(pfn(p2mFrameMfns[i], "p2m frame " + i));
    }
    record(StreamFormat.X86_PV_P2M_FRAMES, body.array());
  }

  /**
   * One PAGE_DATA record: pfns {@code first} to {@code first + count - 1}, their types from Xen,
   * their pages mapped, those of zeros (not page tables) sent as XALLOC, page tables' entries
   * turned into the guest's frames.
   */
  private void pages(int first, int count) {
    long[] types = pageTypes(first, count);
    int[] withData = new int[count];
    int mapped = 0;
    for (int i = 0; i < count; i++) {
      int type = (int) types[i];
      if (type != RestoredPages.XTAB
          && type != RestoredPages.BROKEN
          && type != RestoredPages.XALLOC) {
        withData[mapped++] = i;
      }
    }
    long headerAt = RecordReader.HEADER;
    long dataAt = headerAt + 8 + 8L * count;
    int sent = 0;
    if (mapped > 0) {
      long[] frames = new long[mapped];
      for (int k = 0; k < mapped; k++) {
        frames[k] = p2m[first + withData[k]];
      }
      Pointer pages = memory.map(domid, LinuxAbi.PROT_READ, frames);
      try {
        int[] zeros = new int[mapped];
        int[] others = new int[mapped];
        int zeroCount = RestoredPages.sortZeros(pages, 0, mapped, zeros, others);
        boolean[] zero = new boolean[mapped];
        for (int z = 0; z < zeroCount; z++) {
          zero[zeros[z]] = true;
        }
        long[] entries = new long[RestoredPages.ENTRIES];
        // Plain pages are copied in runs (one call for each run of them), page tables one by one.
        int runFrom = -1;
        int runTo = 0;
        for (int k = 0; k < mapped; k++) {
          int i = withData[k];
          int type = (int) types[i];
          int level = type & RestoredPages.LTABTYPE_MASK;
          boolean table = level >= RestoredPages.L1TAB && level <= RestoredPages.L4TAB;
          if (zero[k] && type == RestoredPages.NOTAB) {
            types[i] = RestoredPages.XALLOC;
          } else if (!table) {
            if (runFrom < 0) {
              runFrom = k;
              runTo = sent;
            }
            sent++;
            continue;
          }
          copyRun(pages, runFrom, k, dataAt + (long) runTo * RestoredPages.PAGE);
          runFrom = -1;
          if (table) {
            pages.get((long) k * RestoredPages.PAGE, entries, 0, RestoredPages.ENTRIES);
            normalise(entries, level, first + i);
            out.put(dataAt + (long) sent * RestoredPages.PAGE, entries, 0, RestoredPages.ENTRIES);
            sent++;
          }
        }
        copyRun(pages, runFrom, mapped, dataAt + (long) runTo * RestoredPages.PAGE);
      } finally {
        memory.unmap(pages, mapped);
      }
    }
    for (int i = 0; i < count; i++) {
      out.putLong(headerAt + 8 + 8L * i, (types[i] << 32) | (first + i));
    }
    out.putInt(headerAt, count);
    out.putInt(headerAt + 4, 0);
    long length = 8 + 8L * count + (long) sent * RestoredPages.PAGE;
    out.putInt(0, StreamFormat.PAGE_DATA);
    out.putInt(4, (int) length);
    writeOut(RecordReader.HEADER + length);
  }

  /**
   * Copies mapped pages {@code from} to {@code to} (none if {@code from} is -1) into the buffer.
   */
  private void copyRun(Pointer pages, int from, int to, long at) {
    if (from >= 0 && to > from) {
      pages.transferTo(
          (long) from * RestoredPages.PAGE, out, at, (long) (to - from) * RestoredPages.PAGE);
    }
  }

  /** Xen's types of pfns {@code first} on, through their frames: XTAB where there is none. */
  private long[] pageTypes(int first, int count) {
    long[] types = new long[count];
    try (HypercallBuffer buffer = call.allocate(8 * count)) {
      ByteBuffer frames = ByteBuffer.allocate(8 * count).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) {
        frames.putLong(p2m[first + i]);
      }
      buffer.write(frames.flip());
      Domctl.call(
          xc,
          domid,
          XEN_DOMCTL_GETPAGEFRAMEINFO3,
          "getpageframeinfo3",
          buffer,
          (u, address) -> u.putLong(0, count).putLong(8, address));
      ByteBuffer read = ByteBuffer.allocate(8 * count).order(ByteOrder.LITTLE_ENDIAN);
      buffer.read(read);
      read.asLongBuffer().get(types);
    }
    for (int i = 0; i < count; i++) {
      if (p2m[first + i] == RestoredPages.INVALID) {
        types[i] = RestoredPages.XTAB;
      }
    }
    return types;
  }

  /**
   * A page table's entries from machine frames to the guest's; Xen's own L4 slots cleared (Xen
   * fills them again on the restore's side).
   */
  private void normalise(long[] table, int level, int pfn) {
    for (int i = 0; i < RestoredPages.ENTRIES; i++) {
      long pte = table[i];
      if (level == RestoredPages.L4TAB && i >= XEN_FIRST_L4 && i <= XEN_LAST_L4) {
        table[i] = 0;
        continue;
      }
      if ((pte & RestoredPages.PTE_PRESENT) == 0) {
        continue;
      }
      if (level > RestoredPages.L1TAB && (pte & PTE_PSE) != 0) {
        throw bad("a superpage at entry " + i + " of the page table at pfn " + pfn);
      }
      long mfn = (pte & RestoredPages.PTE_FRAME_MASK) >>> RestoredPages.PAGE_SHIFT;
      int guestPfn = pfnOf.pfn(mfn);
      if (guestPfn < 0) {
        throw bad(
            String.format(
                "entry %d of the page table at pfn %d maps frame %#x, not the guest's",
                i, pfn, mfn));
      }
      table[i] =
          (pte & ~RestoredPages.PTE_FRAME_MASK) | ((long) guestPfn << RestoredPages.PAGE_SHIFT);
    }
  }

  private void tscInfo() {
    int[] mode = new int[1];
    long[] nsec = new long[1];
    int[] khz = new int[1];
    int[] incarnation = new int[1];
    check(
        "xc_domain_get_tsc_info",
        LibXenCtrl.lib()
            .xc_domain_get_tsc_info(xc.handle(), domid.value(), mode, nsec, khz, incarnation));
    ByteBuffer body = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    body.putInt(mode[0]).putInt(khz[0]).putLong(nsec[0]).putInt(incarnation[0]).putInt(0);
    record(StreamFormat.X86_TSC_INFO, body.array());
  }

  /** Each online vCPU's basic, extended, xsave and MSR state, as libxenguest writes them. */
  private void vcpus() {
    int maxVcpuId = xc.maxVcpuId(domid);
    for (int vcpu = 0; vcpu <= maxVcpuId; vcpu++) {
      int id = vcpu;
      ByteBuffer info =
          Domctl.call(xc, domid, XEN_DOMCTL_GETVCPUINFO, "getvcpuinfo", u -> u.putInt(0, id));
      if (info.get(VCPUINFO_ONLINE) == 0) {
        continue;
      }
      basic(vcpu);
      ByteBuffer ext =
          Domctl.call(
              xc,
              domid,
              XEN_DOMCTL_GET_EXT_VCPUCONTEXT,
              "get_ext_vcpucontext",
              u -> u.putInt(0, id));
      int size = ext.getInt(EXT_VCPUCONTEXT_SIZE);
      if (size > 0) {
        vcpuRecord(
            StreamFormat.X86_PV_VCPU_EXTENDED,
            vcpu,
            PvRestore.bytes(ext, 0, Math.min(size, Domctl.UNION_SIZE)));
      }
      xsave(vcpu);
      msrs(vcpu);
    }
  }

  private void basic(int vcpu) {
    byte[] any = new byte[CONTEXT_ANY];
    check(
        "xc_vcpu_getcontext",
        LibXenCtrl.lib().xc_vcpu_getcontext(xc.handle(), domid.value(), vcpu, any));
    ByteBuffer context =
        ByteBuffer.wrap(any, 0, PvRestore.CONTEXT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    if (vcpu == 0) {
      context.putLong(
          PvRestore.CONTEXT_RDX, pfn(context.getLong(PvRestore.CONTEXT_RDX), "the start info"));
    }
    long gdtEntries = context.getLong(PvRestore.CONTEXT_GDT_ENTS);
    if (gdtEntries < 0 || gdtEntries > PvRestore.FIRST_RESERVED_GDT_ENTRY) {
      throw bad("vCPU " + vcpu + "'s GDT of " + gdtEntries + " entries");
    }
    for (int i = 0; i < (gdtEntries + 511) / 512; i++) {
      int at = PvRestore.CONTEXT_GDT_FRAMES + 8 * i;
      context.putLong(at, pfn(context.getLong(at), "a GDT frame of vCPU " + vcpu));
    }
    int cr3 = PvRestore.CONTEXT_CTRLREG + 3 * 8;
    long top = pfn(context.getLong(cr3) >>> RestoredPages.PAGE_SHIFT, "vCPU " + vcpu + "'s CR3");
    context.putLong(cr3, top << RestoredPages.PAGE_SHIFT);
    int cr1 = PvRestore.CONTEXT_CTRLREG + 8;
    if (context.getLong(cr1) != 0) {
      long user = pfn(context.getLong(cr1) >>> RestoredPages.PAGE_SHIFT, "vCPU " + vcpu + "'s CR1");
      context.putLong(cr1, 1 | (user << RestoredPages.PAGE_SHIFT));
    }
    vcpuRecord(StreamFormat.X86_PV_VCPU_BASIC, vcpu, Arrays.copyOf(any, PvRestore.CONTEXT_SIZE));
  }

  private void xsave(int vcpu) {
    ByteBuffer sizes =
        Domctl.call(
            xc, domid, XEN_DOMCTL_GETVCPUEXTSTATE, "getvcpuextstate", u -> u.putInt(0, vcpu));
    long size = sizes.getLong(VCPUEXTSTATE_SIZE);
    long mask = sizes.getLong(VCPUEXTSTATE_MASK);
    if (mask == 0 || size <= 0) {
      return;
    }
    if (size > (1 << 20)) {
      throw bad("vCPU " + vcpu + "'s xsave area of " + size + " bytes");
    }
    try (HypercallBuffer buffer = call.allocate((int) size)) {
      ByteBuffer union =
          Domctl.call(
              xc,
              domid,
              XEN_DOMCTL_GETVCPUEXTSTATE,
              "getvcpuextstate",
              buffer,
              (u, address) ->
                  u.putInt(0, vcpu)
                      .putLong(VCPUEXTSTATE_MASK, mask) // Xen wants the mask it gave
                      .putLong(VCPUEXTSTATE_SIZE, size)
                      .putLong(VCPUEXTSTATE_BUFFER, address));
      long written = union.getLong(VCPUEXTSTATE_SIZE);
      if (written <= 0 || written > size) {
        return;
      }
      ByteBuffer blob = ByteBuffer.allocate((int) written);
      buffer.read(blob);
      vcpuRecord(StreamFormat.X86_PV_VCPU_XSAVE, vcpu, blob.array());
    }
  }

  private void msrs(int vcpu) {
    ByteBuffer counted =
        Domctl.call(xc, domid, XEN_DOMCTL_GET_VCPU_MSRS, "get_vcpu_msrs", u -> u.putInt(0, vcpu));
    int count = counted.getInt(VCPU_MSRS_COUNT);
    if (count <= 0) {
      return;
    }
    try (HypercallBuffer buffer = call.allocate(count * StreamFormat.MSR_ENTRY_SIZE)) {
      ByteBuffer union =
          Domctl.call(
              xc,
              domid,
              XEN_DOMCTL_GET_VCPU_MSRS,
              "get_vcpu_msrs",
              buffer,
              (u, address) ->
                  u.putInt(0, vcpu)
                      .putInt(VCPU_MSRS_COUNT, count)
                      .putLong(VCPU_MSRS_BUFFER, address));
      int written = union.getInt(VCPU_MSRS_COUNT);
      if (written <= 0 || written > count) {
        return;
      }
      ByteBuffer blob = ByteBuffer.allocate(written * StreamFormat.MSR_ENTRY_SIZE);
      buffer.read(blob);
      vcpuRecord(StreamFormat.X86_PV_VCPU_MSRS, vcpu, blob.array());
    }
  }

  private void vcpuRecord(int type, int vcpu, byte[] blob) {
    ByteBuffer body = ByteBuffer.allocate(8 + blob.length).order(ByteOrder.LITTLE_ENDIAN);
    body.putInt(vcpu).putInt(0).put(blob);
    record(type, body.array());
  }

  /** The guest's pfn of machine frame {@code mfn}, which must be the guest's. */
  private long pfn(long mfn, String what) {
    int pfn = pfnOf.pfn(mfn);
    if (pfn < 0) {
      throw bad(String.format("%s at frame %#x, not one of the guest's", what, mfn));
    }
    return pfn;
  }

  /** A record of {@code type} with {@code body}, padded to 8 bytes. */
  private void record(int type, byte[] body) {
    out.putInt(0, type);
    out.putInt(4, body.length);
    out.put(RecordReader.HEADER, body, 0, body.length);
    int padded = (body.length + 7) & ~7;
    if (padded > body.length) {
      out.setMemory(RecordReader.HEADER + body.length, padded - body.length, (byte) 0);
    }
    writeOut(RecordReader.HEADER + padded);
  }

  /** Writes the first {@code length} bytes of the buffer to the stream. */
  private void writeOut(long length) {
    long at = 0;
    while (at < length) {
      long n = LibC.lib().write(fd, out.slice(at), length - at);
      if (n < 0) {
        Errno errno = NativeCall.lastErrno(LibC.runtime());
        if (errno == Errno.EINTR) {
          continue;
        }
        throw new XenException(FUNCTION, errno, domid, "cannot write the stream");
      }
      at += n;
    }
  }

  private void check(String function, int rc) {
    NativeCall.checkNonNegative(xc.runtime(), function, rc, domid, xc::takeLastError);
  }

  private XenException bad(String what) {
    return new XenException(FUNCTION, Errno.EINVAL, domid, what);
  }

  /** The guest's p2m turned around: a machine frame's pfn (open addressing, no boxing). */
  static final class MfnIndex {
    private final long[] keys;
    private final int[] values;
    private final int mask;

    MfnIndex(long[] p2m) {
      int size = Integer.highestOneBit(Math.max(16, p2m.length * 2 + 1) - 1) << 1;
      keys = new long[size];
      values = new int[size];
      mask = size - 1;
      Arrays.fill(keys, -1L);
      for (int pfn = 0; pfn < p2m.length; pfn++) {
        long mfn = p2m[pfn];
        if (mfn < 0 || mfn >= (1L << 40)) {
          continue; // not a frame: INVALID, or Linux's identity and foreign marks
        }
        int at = slot(mfn);
        while (keys[at] != -1L && keys[at] != mfn) {
          at = (at + 1) & mask;
        }
        if (keys[at] == -1L) {
          keys[at] = mfn;
          values[at] = pfn;
        }
      }
    }

    /** {@code mfn}'s pfn, or -1. */
    int pfn(long mfn) {
      int at = slot(mfn);
      while (keys[at] != -1L) {
        if (keys[at] == mfn) {
          return values[at];
        }
        at = (at + 1) & mask;
      }
      return -1;
    }

    private int slot(long mfn) {
      long h = mfn * 0x9E3779B97F4A7C15L;
      return (int) (h >>> 32) & mask;
    }
  }
}
