package org.chaosvm.libxc;

import jnr.ffi.Pointer;

/** libxenforeignmemory (Xen 4.17), raw: NULL and errno for open and map, "-1 and errno" else. */
final class LibXenForeignMemory {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    Pointer xenforeignmemory_open(Pointer logger, int openFlags);

    int xenforeignmemory_close(Pointer fmem);

    /**
     * Maps {@code pages} frames of domain {@code dom} ({@code arr}: xen_pfn_t, machine frames for a
     * PV guest); {@code err} gets a per-page error, or may be null to fail as a whole.
     */
    Pointer xenforeignmemory_map(
        Pointer fmem, int dom, int prot, long pages, long[] arr, int[] err);

    int xenforeignmemory_unmap(Pointer fmem, Pointer addr, long pages);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.XENFOREIGNMEMORY);
  }

  private LibXenForeignMemory() {}

  static Native lib() {
    return Holder.LIB;
  }
}
