package org.chaosvm.libxc;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.u_int32_t;
import jnr.ffi.types.u_int64_t;

/**
 * libxenguest's domain builder (Xen 4.17), raw. The xc_dom_* calls return 0 on success and non-zero
 * on failure; errno is set by some failures only, and the builder's own explanation is in libxc's
 * last error (xc_get_last_error).
 */
final class LibXenGuest {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    /** NULL on failure. */
    Pointer xc_dom_allocate(Pointer xch, String cmdline, String features);

    void xc_dom_release(Pointer dom);

    int xc_dom_kernel_file(Pointer dom, String filename);

    /** Keeps {@code mem} (no copy): it must stay valid until xc_dom_release. */
    int xc_dom_kernel_mem(Pointer dom, Pointer mem, @size_t long memsize);

    /** A module; the first one is the ramdisk of a PV guest. {@code cmdline} may be NULL. */
    int xc_dom_module_file(Pointer dom, String filename, String cmdline);

    /** Keeps {@code mem} (no copy): it must stay valid until xc_dom_release. */
    int xc_dom_module_mem(Pointer dom, Pointer mem, @size_t long memsize, String cmdline);

    int xc_dom_boot_xen_init(Pointer dom, Pointer xch, @u_int32_t int domid);

    int xc_dom_parse_image(Pointer dom);

    int xc_dom_mem_init(Pointer dom, int memMib);

    int xc_dom_boot_mem_init(Pointer dom);

    int xc_dom_build_image(Pointer dom);

    int xc_dom_boot_image(Pointer dom);

    int xc_dom_gnttab_init(Pointer dom);

    /**
     * 0, or -1 and errno. Declared in xenctrl.h but exported by libxenguest. The C bools are passed
     * as ints (the callee reads their low byte); featureset, xend and msr are NULL: the host's
     * default policy for the domain's type.
     */
    int xc_cpuid_apply_policy(
        Pointer xch,
        @u_int32_t int domid,
        boolean restore,
        @In Pointer featureset,
        int nrFeatures,
        boolean pae,
        boolean itsc,
        boolean nestedVirt,
        @In Pointer xend,
        @In Pointer msr);

    /** Returns a C bool (read its low byte): whether the guest's physmap is translated. */
    byte xc_dom_translated(Pointer dom);

    /**
     * 0, or -1 (errno set by most failures; libxc's last error says what). {@code callbacks}: a
     * {@code struct save_callbacks}; {@code streamType} 0 (plain), {@code recvFd} -1 for it.
     */
    int xc_domain_save(
        Pointer xch,
        int ioFd,
        @u_int32_t int domid,
        @u_int32_t int flags,
        Pointer callbacks,
        int streamType,
        int recvFd);

    /**
     * 0, or -1 and errno. With {@code fast} 1 a cooperative resume: the guest's suspend call
     * returns 1 (cancelled) and it goes on in the same domain.
     */
    int xc_domain_resume(Pointer xch, @u_int32_t int domid, int fast);

    /**
     * 0, or -1 and errno (EINVAL: a leaf or MSR Xen refused, named through the {@code err}s).
     * {@code leaves}: {@code xen_cpuid_leaf_t}, 24 bytes each; {@code msrs}: {@code
     * xen_msr_entry_t}, 16 bytes each.
     */
    int xc_set_domain_cpu_policy(
        Pointer xch,
        @u_int32_t int domid,
        @u_int32_t int nrLeaves,
        @In byte[] leaves,
        @u_int32_t int nrMsrs,
        @In byte[] msrs,
        @Out int[] errLeaf,
        @Out int[] errSubleaf,
        @Out int[] errMsr);

    /** 0, or -1 and errno: how many CPUID leaves and MSRs a serialised policy may hold. */
    int xc_cpu_policy_get_size(Pointer xch, @Out int[] nrLeaves, @Out int[] nrMsrs);

    /** A policy object, or NULL. */
    Pointer xc_cpu_policy_init();

    void xc_cpu_policy_destroy(Pointer policy);

    /** 0, or -1 and errno: {@code domid}'s CPU policy into {@code policy}. */
    int xc_cpu_policy_get_domain(Pointer xch, @u_int32_t int domid, Pointer policy);

    /**
     * 0, or -1 and errno: {@code policy} as {@code xen_cpuid_leaf_t}s (24 bytes each) and {@code
     * xen_msr_entry_t}s (16 bytes); the counts in: room, out: written.
     */
    int xc_cpu_policy_serialise(
        Pointer xch,
        Pointer policy,
        @Out byte[] leaves,
        @In @Out int[] nrLeaves,
        @Out byte[] msrs,
        @In @Out int[] nrMsrs);

    /**
     * 0, or -1 and errno: the grant table's first entries, for the console and XenStore pages
     * granted to their back ends' domains. {@code isHvm} is a C bool.
     */
    int xc_dom_gnttab_seed(
        Pointer xch,
        @u_int32_t int guestDomid,
        boolean isHvm,
        @u_int64_t long consoleGfn,
        @u_int64_t long xenstoreGfn,
        @u_int32_t int consoleDomid,
        @u_int32_t int xenstoreDomid);
  }

  /** A save's callback: its {@code data} (unused), and 1 for done, 0 for failed. */
  public interface SaveCallback {
    @Delegate
    int call(Pointer data);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.XENGUEST);
  }

  private LibXenGuest() {}

  static Native lib() {
    return Holder.LIB;
  }
}
