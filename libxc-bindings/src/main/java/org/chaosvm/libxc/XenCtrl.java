package org.chaosvm.libxc;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.byref.IntByReference;

/**
 * An open libxenctrl interface ({@code xc_interface *}): domain control through the hypervisor. Not
 * thread-safe (libxc's last-error state is per interface); use one per thread or serialise.
 */
public final class XenCtrl implements AutoCloseable {
  /** xc_domain_getinfolist is asked for this many domains at a time. */
  private static final int INFO_BATCH = 256;

  private final LibXenCtrl.Native lib;
  private final Runtime runtime;
  private Pointer xch;

  private XenCtrl(LibXenCtrl.Native lib, Pointer xch) {
    this.lib = lib;
    this.runtime = NativeLibraries.runtime(lib);
    this.xch = xch;
  }

  /**
   * Opens the interface: needs Dom0's privcmd device and root. Its messages go to standard error,
   * warnings and errors alone ({@link XcLogger}).
   */
  public static XenCtrl open() {
    LibXenCtrl.Native lib = LibXenCtrl.lib();
    Pointer xch = lib.xc_interface_open(XcLogger.get(), null, 0);
    return new XenCtrl(
        lib, NativeCall.checkNotNull(NativeLibraries.runtime(lib), "xc_interface_open", xch, null));
  }

  /**
   * Creates a domain, paused and empty, with the next free domain id.
   *
   * @return the new domain's id
   */
  public DomId createDomain(DomainConfig config) {
    XenDomctlCreatedomain c = allocate(new XenDomctlCreatedomain(runtime));
    config.writeTo(c);
    IntByReference domid = new IntByReference(0);
    try {
      check("xc_domain_create", lib.xc_domain_create(handle(), domid, Struct.getMemory(c)), null);
    } finally {
      // libxc writes the config back after the hypercall: its memory must outlive the call.
      Reference.reachabilityFence(c);
    }
    return DomId.of(domid.getValue() & 0xffff);
  }

  /** Gives the domain another handle (its UUID, as {@code xl list -v} shows it). */
  public void setHandle(DomId domid, UUID handle) {
    check(
        "xc_domain_sethandle",
        lib.xc_domain_sethandle(handle(), domid.value(), Uuids.toBytes(handle)),
        domid);
  }

  public void setMaxVcpus(DomId domid, int max) {
    check("xc_domain_max_vcpus", lib.xc_domain_max_vcpus(handle(), domid.value(), max), domid);
  }

  /** Pins vCPU {@code vcpu} (hard affinity) to the physical CPUs set in {@code cpus}. */
  public void setVcpuAffinity(DomId domid, int vcpu, BitSet cpus) {
    int size = check("xc_get_cpumap_size", lib.xc_get_cpumap_size(handle()), domid);
    byte[] bits = cpus.toByteArray();
    if (bits.length > size) {
      throw new IllegalArgumentException("CPU " + (cpus.length() - 1) + " is beyond this host");
    }
    Pointer hard = Memory.allocateDirect(runtime, size, true);
    Pointer soft = Memory.allocateDirect(runtime, size, true);
    hard.put(0, bits, 0, bits.length);
    soft.put(0, bits, 0, bits.length);
    try {
      check(
          "xc_vcpu_setaffinity",
          lib.xc_vcpu_setaffinity(
              handle(), domid.value(), vcpu, hard, soft, XenAbi.XEN_VCPUAFFINITY_HARD),
          domid);
    } finally {
      // libxc writes the effective affinity back into both maps.
      Reference.reachabilityFence(hard);
      Reference.reachabilityFence(soft);
    }
  }

  /** The most memory the domain may hold, in KiB. */
  public void setMaxMemory(DomId domid, long kib) {
    check("xc_domain_setmaxmem", lib.xc_domain_setmaxmem(handle(), domid.value(), kib), domid);
  }

  private static final int XEN_DOMCTL_SHADOW_OP_GET_ALLOCATION = 30;
  private static final int XEN_DOMCTL_SHADOW_OP_SET_ALLOCATION = 31;

  /**
   * Makes the domain's shadow (paging) memory pool at least {@code mib} MiB, which its log-dirty
   * mode and, for a PV guest, its shadow page tables while that mode is on, come from; the pool's
   * size after.
   */
  public int growShadowMemory(DomId domid, int mib) {
    IntByReference mb = new IntByReference(0);
    check(
        "xc_shadow_control",
        lib.xc_shadow_control(handle(), domid.value(), XEN_DOMCTL_SHADOW_OP_GET_ALLOCATION, mb, 0),
        domid);
    if (mb.getValue() >= mib) {
      return mb.getValue();
    }
    IntByReference wanted = new IntByReference(mib);
    check(
        "xc_shadow_control",
        lib.xc_shadow_control(
            handle(), domid.value(), XEN_DOMCTL_SHADOW_OP_SET_ALLOCATION, wanted, 0),
        domid);
    return wanted.getValue();
  }

  /** The end of a PV domain's pseudo-physical memory map (its e820), in KiB. */
  public void setMemmapLimit(DomId domid, long kib) {
    check(
        "xc_domain_set_memmap_limit",
        lib.xc_domain_set_memmap_limit(handle(), domid.value(), kib),
        domid);
  }

  /**
   * Applies the host's default CPUID and MSR policy for a new domain, the step libxl takes before
   * building one; PV domains always see PAE.
   */
  public void applyDefaultCpuPolicy(DomId domid) {
    check(
        "xc_cpuid_apply_policy",
        LibXenGuest.lib()
            .xc_cpuid_apply_policy(
                handle(), domid.value(), false, null, 0, true, false, false, null, null),
        domid);
  }

  /** The domain's state, or empty when there is no such domain. */
  public Optional<DomainInfo> domainInfo(DomId domid) {
    List<DomainInfo> infos = domainInfos(domid.value(), 1);
    return infos.isEmpty() || !infos.get(0).domid().equals(domid)
        ? Optional.empty()
        : Optional.of(infos.get(0));
  }

  /** Every domain, Domain-0 included, by increasing id. */
  public List<DomainInfo> domainInfos() {
    List<DomainInfo> all = new ArrayList<>();
    int next = 0;
    while (true) {
      List<DomainInfo> batch = domainInfos(next, INFO_BATCH);
      all.addAll(batch);
      if (batch.size() < INFO_BATCH) {
        return all;
      }
      next = batch.get(batch.size() - 1).domid().value() + 1;
    }
  }

  /** The machine frame of {@code domid}'s shared info page. */
  long sharedInfoFrame(DomId domid) {
    return info(domid).shared_info_frame.get();
  }

  /** The highest vCPU id {@code domid} has. */
  int maxVcpuId(DomId domid) {
    return (int) info(domid).max_vcpu_id.get();
  }

  private XenDomctlGetdomaininfo info(DomId domid) {
    XenDomctlGetdomaininfo info = allocate(new XenDomctlGetdomaininfo(runtime));
    int n =
        check(
            "xc_domain_getinfolist",
            lib.xc_domain_getinfolist(handle(), domid.value(), 1, Struct.getMemory(info)),
            domid);
    if (n != 1 || info.domain.get() != domid.value()) {
      throw new XenException("xc_domain_getinfolist", Errno.ESRCH, domid, "no such domain");
    }
    return info;
  }

  private List<DomainInfo> domainInfos(int first, int max) {
    int size = Struct.size(new XenDomctlGetdomaininfo(runtime));
    Pointer buffer = Memory.allocateDirect(runtime, (long) size * max, true);
    int n =
        check(
            "xc_domain_getinfolist", lib.xc_domain_getinfolist(handle(), first, max, buffer), null);
    List<DomainInfo> infos = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      XenDomctlGetdomaininfo info = new XenDomctlGetdomaininfo(runtime);
      info.useMemory(buffer.slice((long) i * size, size));
      infos.add(DomainInfo.from(info));
    }
    return infos;
  }

  public void pause(DomId domid) {
    check("xc_domain_pause", lib.xc_domain_pause(handle(), domid.value()), domid);
  }

  public void unpause(DomId domid) {
    check("xc_domain_unpause", lib.xc_domain_unpause(handle(), domid.value()), domid);
  }

  /** Shuts the domain down from outside, as if it had asked for {@code reason} itself. */
  public void shutdown(DomId domid, ShutdownReason reason) {
    check(
        "xc_domain_shutdown",
        lib.xc_domain_shutdown(handle(), domid.value(), reason.code()),
        domid);
  }

  /** Destroys the domain; it may linger as "dying" until its last pages are released. */
  public void destroy(DomId domid) {
    check("xc_domain_destroy", lib.xc_domain_destroy(handle(), domid.value()), domid);
  }

  /**
   * Allocates an unbound event channel in {@code domid} that {@code remote} may bind to.
   *
   * @return the port in {@code domid}
   */
  public int allocUnboundEventChannel(DomId domid, DomId remote) {
    return check(
        "xc_evtchn_alloc_unbound",
        lib.xc_evtchn_alloc_unbound(handle(), domid.value(), remote.value()),
        domid);
  }

  /**
   * The event channel ports of {@code domid} that are in use, port 1 on, until the first port Xen
   * does not hold for it.
   */
  public List<EventChannelStatus> eventChannels(DomId domid) {
    List<EventChannelStatus> ports = new ArrayList<>();
    EvtchnStatus status = allocate(new EvtchnStatus(runtime));
    for (int port = 1; ; port++) {
      status.dom.set(domid.value());
      status.port.set(port);
      try {
        check("xc_evtchn_status", lib.xc_evtchn_status(handle(), Struct.getMemory(status)), domid);
      } catch (XenException e) {
        if (e.errno() == Errno.EINVAL) {
          return ports; // past the last port Xen holds for it
        }
        throw e;
      }
      int state = (int) status.status.get();
      if (state == XenAbi.EVTCHNSTAT_closed) {
        continue;
      }
      Optional<DomId> remote =
          state == XenAbi.EVTCHNSTAT_unbound || state == XenAbi.EVTCHNSTAT_interdomain
              ? Optional.of(DomId.of(status.u.dom.get()))
              : Optional.empty();
      ports.add(new EventChannelStatus(port, EventChannelStatus.State.values()[state], remote));
    }
  }

  public PhysInfo physInfo() {
    XenSysctlPhysinfo info = allocate(new XenSysctlPhysinfo(runtime));
    check("xc_physinfo", lib.xc_physinfo(handle(), Struct.getMemory(info)), null);
    return new PhysInfo(
        (int) info.nr_cpus.get(),
        (int) info.cpu_khz.get(),
        info.total_pages.get(),
        info.free_pages.get());
  }

  /** libxc's message for the last failure on this interface, or "" (then clears it). */
  String takeLastError() {
    Pointer pointer = lib.xc_get_last_error(handle());
    String message = "";
    if (pointer != null && pointer.address() != 0) {
      XcError error = new XcError(runtime);
      error.useMemory(pointer);
      message = error.message.get().strip();
    }
    lib.xc_clear_last_error(handle());
    return message;
  }

  Pointer handle() {
    if (xch == null) {
      throw new IllegalStateException("the xenctrl interface is closed");
    }
    return xch;
  }

  Runtime runtime() {
    return runtime;
  }

  private int check(String function, int rc, DomId domid) {
    return NativeCall.checkNonNegative(runtime, function, rc, domid, this::takeLastError);
  }

  private <T extends Struct> T allocate(T struct) {
    struct.useMemory(Memory.allocateDirect(runtime, Struct.size(struct), true));
    return struct;
  }

  @Override
  public void close() {
    if (xch != null) {
      Pointer closing = xch;
      xch = null;
      NativeCall.checkNonNegative(
          runtime, "xc_interface_close", lib.xc_interface_close(closing), null);
    }
  }
}
