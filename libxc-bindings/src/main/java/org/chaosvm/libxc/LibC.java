package org.chaosvm.libxc;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.IgnoreError;

/** The few C library calls the bindings need: freeing what Xen's libraries malloc, strerror. */
final class LibC {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    @IgnoreError
    void free(Pointer pointer);

    @IgnoreError
    String strerror(int errnum);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.LIBC);
  }

  private LibC() {}

  static void free(Pointer pointer) {
    if (pointer != null) {
      Holder.LIB.free(pointer);
    }
  }

  static String strerror(int errnum) {
    return Holder.LIB.strerror(errnum);
  }
}
