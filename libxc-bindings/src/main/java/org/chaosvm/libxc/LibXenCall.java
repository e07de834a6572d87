package org.chaosvm.libxc;

import jnr.ffi.Pointer;

/**
 * libxencall (Xen 4.17), raw: NULL and errno for open and for buffers, "-1 and errno" for close and
 * the calls. A hypercall's argument must live in a buffer of {@code xencall_alloc_buffer}: memory
 * Xen can copy from and to without a fault (never the Java heap or a thread's stack).
 */
final class LibXenCall {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    Pointer xencall_open(Pointer logger, int openFlags);

    int xencall_close(Pointer xcall);

    Pointer xencall_alloc_buffer(Pointer xcall, long size);

    /** Cannot fail. */
    void xencall_free_buffer(Pointer xcall, Pointer buffer);

    /** Xen's own return, or -1 and errno (Xen's -E... as errno). */
    int xencall1(Pointer xcall, int op, long arg1);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.XENCALL);
  }

  private LibXenCall() {}

  static Native lib() {
    return Holder.LIB;
  }
}
