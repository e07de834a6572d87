package org.chaosvm.libxc;

import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Runtime;

/**
 * Loads Xen's C libraries by the sonames of Xen 4.17 as Debian ships them (the runtime packages
 * carry no unversioned {@code .so}). Each raw interface loads on first use, through a holder class,
 * never when a public class is initialised.
 */
final class NativeLibraries {
  static final String XENCTRL = "libxenctrl.so.4.17";
  static final String XENGUEST = "libxenguest.so.4.17";
  static final String XENSTORE = "libxenstore.so.4";
  static final String XENEVTCHN = "libxenevtchn.so.1";
  static final String XENFOREIGNMEMORY = "libxenforeignmemory.so.1";
  static final String XENCALL = "libxencall.so.1";
  static final String XENGNTTAB = "libxengnttab.so.1";
  static final String XENTOOLLOG = "libxentoollog.so.1";
  static final String LIBC = "libc.so.6";

  private NativeLibraries() {}

  static <T> T load(Class<T> api, String soname) {
    try {
      return LibraryLoader.create(api)
          .option(LibraryOption.SaveError, true)
          .failImmediately()
          .load(soname);
    } catch (UnsatisfiedLinkError | IllegalStateException e) {
      throw new IllegalStateException(
          "cannot load "
              + soname
              + " (is Xen 4.17's library package installed?): "
              + e.getMessage(),
          e);
    }
  }

  static Runtime runtime(Object library) {
    return Runtime.getRuntime(library);
  }
}
