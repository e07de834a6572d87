package org.chaosvm.libxc;

import jnr.ffi.Pointer;

/**
 * libxengnttab's grant-sharing half (Xen 4.17), raw: NULL and errno for open and for sharing, "-1
 * and errno" for close and unshare.
 */
final class LibXenGntshr {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    Pointer xengntshr_open(Pointer logger, int openFlags);

    int xengntshr_close(Pointer xgs);

    /** Allocates {@code count} pages, grants them to {@code domid}, maps them here. */
    Pointer xengntshr_share_pages(Pointer xgs, int domid, int count, int[] refs, int writable);

    int xengntshr_unshare(Pointer xgs, Pointer startAddress, int count);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.XENGNTTAB);
  }

  private LibXenGntshr() {}

  static Native lib() {
    return Holder.LIB;
  }
}
