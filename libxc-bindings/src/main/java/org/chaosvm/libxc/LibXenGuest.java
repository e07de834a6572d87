package org.chaosvm.libxc;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.types.size_t;
import jnr.ffi.types.u_int32_t;

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
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.XENGUEST);
  }

  private LibXenGuest() {}

  static Native lib() {
    return Holder.LIB;
  }
}
