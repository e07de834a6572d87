package org.chaosvm.libxc;

import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A hypercall handle ({@code xencall_handle *}) of Dom0, for hypercalls no other library of Xen
 * wraps. Arguments go in {@link HypercallBuffer}s allocated here. Thread-safe.
 */
public final class XenCall implements AutoCloseable {
  private final LibXenCall.Native lib;
  private final Runtime runtime;
  private Pointer handle;

  private XenCall(LibXenCall.Native lib, Pointer handle) {
    this.lib = lib;
    this.runtime = NativeLibraries.runtime(lib);
    this.handle = handle;
  }

  public static XenCall open() {
    LibXenCall.Native lib = LibXenCall.lib();
    Pointer handle = lib.xencall_open(null, 0);
    NativeCall.checkNotNull(NativeLibraries.runtime(lib), "xencall_open", handle, null);
    return new XenCall(lib, handle);
  }

  /** A zeroed hypercall buffer of {@code size} bytes, freed by its {@code close}. */
  public synchronized HypercallBuffer allocate(int size) {
    if (size <= 0) {
      throw new IllegalArgumentException("a hypercall buffer needs a positive size, not " + size);
    }
    Pointer memory =
        NativeCall.checkNotNull(
            runtime, "xencall_alloc_buffer", lib.xencall_alloc_buffer(handle(), size), null);
    memory.setMemory(0, size, (byte) 0);
    return new HypercallBuffer(this, memory, size);
  }

  /**
   * Hypercall {@code op} with the buffer's address as its one argument; returns Xen's non-negative
   * result. A failure throws with {@code name} as the function and Xen's error as the errno.
   */
  public int call1(int op, HypercallBuffer argument, String name, DomId domain) {
    int rc;
    synchronized (this) {
      rc = lib.xencall1(handle(), op, argument.address());
    }
    return NativeCall.checkNonNegative(runtime, name, rc, domain);
  }

  synchronized void free(Pointer memory) {
    if (handle != null) {
      lib.xencall_free_buffer(handle, memory);
    }
  }

  private Pointer handle() {
    if (handle == null) {
      throw new IllegalStateException("the hypercall handle is closed");
    }
    return handle;
  }

  /** Closes the handle; free its buffers first (a buffer closed afterwards is not freed twice). */
  @Override
  public synchronized void close() {
    if (handle != null) {
      lib.xencall_close(handle);
      handle = null;
    }
  }
}
