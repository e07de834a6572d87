package org.chaosvm.libxc;

import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A grant-sharing handle ({@code xengntshr_handle *}) of Dom0: pages of Dom0's memory granted to
 * another domain, for the back end's half of a split device. Thread-safe.
 */
public final class GrantShare implements AutoCloseable {
  private final LibXenGntshr.Native lib;
  private final Runtime runtime;
  private Pointer handle;

  private GrantShare(LibXenGntshr.Native lib, Pointer handle) {
    this.lib = lib;
    this.runtime = NativeLibraries.runtime(lib);
    this.handle = handle;
  }

  public static GrantShare open() {
    LibXenGntshr.Native lib = LibXenGntshr.lib();
    Pointer handle = lib.xengntshr_open(null, 0);
    NativeCall.checkNotNull(NativeLibraries.runtime(lib), "xengntshr_open", handle, null);
    return new GrantShare(lib, handle);
  }

  /** A zeroed page granted to {@code domain}, mapped here until the page's {@code close}. */
  public synchronized SharedPage share(DomId domain, boolean writable) {
    int[] refs = new int[1];
    Pointer page =
        NativeCall.checkNotNull(
            runtime,
            "xengntshr_share_pages",
            lib.xengntshr_share_pages(handle(), domain.value(), 1, refs, writable ? 1 : 0),
            domain);
    return new SharedPage(this, page, refs[0], domain);
  }

  synchronized void unshare(Pointer page, DomId domain) {
    if (handle != null) {
      NativeCall.checkNonNegative(
          runtime, "xengntshr_unshare", lib.xengntshr_unshare(handle, page, 1), domain);
    }
  }

  private Pointer handle() {
    if (handle == null) {
      throw new IllegalStateException("the grant-sharing handle is closed");
    }
    return handle;
  }

  /** Closes the handle; shares made through it end when each page is closed. */
  @Override
  public synchronized void close() {
    if (handle != null) {
      lib.xengntshr_close(handle);
      handle = null;
    }
  }
}
