package org.chaosvm.libxc;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.u_int32_t;
import jnr.ffi.types.u_int64_t;

/** libxenctrl (Xen 4.17), raw. Convention of each call in its comment; checked by the caller. */
final class LibXenCtrl {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    /** NULL and errno. */
    Pointer xc_interface_open(Pointer logger, Pointer dombuildLogger, int openFlags);

    /** 0, or -1 and errno. */
    int xc_interface_close(Pointer xch);

    /** Never fails; the message is empty when there was no error. */
    @IgnoreError
    Pointer xc_get_last_error(Pointer xch);

    @IgnoreError
    void xc_clear_last_error(Pointer xch);

    /** 0, or -1 and errno. {@code pdomid}: in 0 for "any free id", out the id given. */
    int xc_domain_create(Pointer xch, IntByReference pdomid, Pointer config);

    /** 0, or -1 and errno. {@code handle}: the 16 bytes of a {@code xen_domain_handle_t}. */
    int xc_domain_sethandle(Pointer xch, @u_int32_t int domid, @In byte[] handle);

    /** 0, or -1 and errno. */
    int xc_domain_max_vcpus(Pointer xch, @u_int32_t int domid, int max);

    /** The size in bytes of a cpumap; -1 (or 0) and errno. */
    int xc_get_cpumap_size(Pointer xch);

    /** 0, or -1 and errno. */
    int xc_vcpu_setaffinity(
        Pointer xch,
        @u_int32_t int domid,
        int vcpu,
        Pointer cpumapHard,
        Pointer cpumapSoft,
        @u_int32_t int flags);

    /** 0, or -1 and errno; {@code mb} in and out (XEN_DOMCTL_SHADOW_OP_*_ALLOCATION). */
    int xc_shadow_control(
        Pointer xch,
        @u_int32_t int domid,
        @u_int32_t int sop,
        IntByReference mb,
        @u_int32_t int mode);

    /** 0, or -1 and errno. */
    int xc_domain_setmaxmem(Pointer xch, @u_int32_t int domid, @u_int64_t long maxMemKib);

    /** 0, or -1 and errno. {@code mapLimitKib} is an unsigned long. */
    int xc_domain_set_memmap_limit(Pointer xch, @u_int32_t int domid, long mapLimitKib);

    /** The number of entries filled, or -1 and errno. */
    int xc_domain_getinfolist(
        Pointer xch, @u_int32_t int firstDomain, int maxDomains, @Out Pointer info);

    /** 0, or -1 and errno. */
    int xc_domain_pause(Pointer xch, @u_int32_t int domid);

    /** 0, or -1 and errno. */
    int xc_domain_unpause(Pointer xch, @u_int32_t int domid);

    /** 0, or -1 and errno. */
    int xc_domain_shutdown(Pointer xch, @u_int32_t int domid, int reason);

    /** 0, or -1 and errno. */
    int xc_domain_destroy(Pointer xch, @u_int32_t int domid);

    /** The port, or -1 and errno. */
    int xc_evtchn_alloc_unbound(Pointer xch, @u_int32_t int dom, @u_int32_t int remoteDom);

    /** 0, or -1 and errno. */
    int xc_physinfo(Pointer xch, @Out Pointer info);

    /** 0, or -1 and errno (EINVAL: a port beyond the domain's). */
    int xc_evtchn_status(Pointer xch, @In @Out Pointer status);

    /**
     * 0, or -1 and errno (ENOMEM: fewer pages given than asked). For a PV guest {@code extents}
     * holds its pseudo-physical frames in, and the machine frames given to them out.
     */
    int xc_domain_populate_physmap_exact(
        Pointer xch,
        @u_int32_t int domid,
        @u_int64_t long nrExtents,
        @u_int32_t int extentOrder,
        @u_int32_t int memFlags,
        @In @Out long[] extents);

    /**
     * The number of extents given (fewer than asked when Xen has no more of their order), or -1 and
     * errno. {@code extents} as for {@link #xc_domain_populate_physmap_exact}: each extent's first
     * pseudo-physical frame in, its first machine frame out.
     */
    int xc_domain_populate_physmap(
        Pointer xch,
        @u_int32_t int domid,
        @u_int64_t long nrExtents,
        @u_int32_t int extentOrder,
        @u_int32_t int memFlags,
        @In @Out long[] extents);

    /** 0, or -1 and errno. {@code ops}: {@code nrOps} {@code struct mmuext_op}, 24 bytes each. */
    int xc_mmuext_op(Pointer xch, @In long[] ops, @u_int32_t int nrOps, @u_int32_t int dom);

    /** 0, or -1 and errno. {@code context}: a {@code vcpu_guest_context_any_t}. */
    int xc_vcpu_setcontext(
        Pointer xch, @u_int32_t int domid, @u_int32_t int vcpu, @In byte[] context);

    /**
     * 0, or -1 and errno. {@code domctl}: a {@code struct xen_domctl}, its version set by libxc.
     */
    int xc_domctl(Pointer xch, @In @Out byte[] domctl);

    /** 0, or -1 and errno. */
    int xc_domain_set_tsc_info(
        Pointer xch,
        @u_int32_t int domid,
        @u_int32_t int tscMode,
        @u_int64_t long elapsedNsec,
        @u_int32_t int gtscKhz,
        @u_int32_t int incarnation);

    /** 0, or -1 and errno. */
    int xc_domain_get_tsc_info(
        Pointer xch,
        @u_int32_t int domid,
        @Out int[] tscMode,
        @Out long[] elapsedNsec,
        @Out int[] gtscKhz,
        @Out int[] incarnation);

    /**
     * 0, or -1 and errno. {@code context}: a {@code vcpu_guest_context_any_t} (a 64-bit guest's
     * fills its first {@link PvRestore#CONTEXT_SIZE} bytes).
     */
    int xc_vcpu_getcontext(
        Pointer xch, @u_int32_t int domid, @u_int32_t int vcpu, @Out byte[] context);

    /** {@code XENVER_version} (0) with a NULL argument: Xen's major version shifted 16, minor. */
    int xc_version(Pointer xch, int cmd, Pointer arg);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.XENCTRL);
  }

  private LibXenCtrl() {}

  static Native lib() {
    return Holder.LIB;
  }
}
