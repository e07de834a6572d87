package org.chaosvm.libxc;

import jnr.ffi.Pointer;

/**
 * libxentoollog (Xen 4.17), raw: the loggers Xen's tool libraries report through. NULL and errno
 * when a logger cannot be made.
 */
final class LibXenToolLog {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    /**
     * A logger that writes each message of {@code minLevel} or above to the C stream {@code file}
     * (a {@code FILE *}), one line each, flushed; {@code flags}: XTL_STDIOSTREAM_*.
     */
    Pointer xtl_createlogger_stdiostream(Pointer file, int minLevel, int flags);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.XENTOOLLOG);
  }

  private LibXenToolLog() {}

  static Native lib() {
    return Holder.LIB;
  }
}
