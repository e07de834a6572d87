package org.chaosvm.libxc;

import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A foreign memory handle ({@code xenforeignmemory_handle *}) of Dom0: maps other domains' pages
 * into this process. Thread-safe: each mapping is a call of its own on the handle.
 */
public final class ForeignMemory implements AutoCloseable {
  private final LibXenForeignMemory.Native lib;
  private final Runtime runtime;
  private volatile Pointer handle;

  private ForeignMemory(LibXenForeignMemory.Native lib, Pointer handle) {
    this.lib = lib;
    this.runtime = NativeLibraries.runtime(lib);
    this.handle = handle;
  }

  public static ForeignMemory open() {
    LibXenForeignMemory.Native lib = LibXenForeignMemory.lib();
    Pointer handle = lib.xenforeignmemory_open(null, 0);
    NativeCall.checkNotNull(NativeLibraries.runtime(lib), "xenforeignmemory_open", handle, null);
    return new ForeignMemory(lib, handle);
  }

  /**
   * Maps a domain's console ring read-only, from the frame its {@code console/ring-ref} names (a
   * machine frame for a PV guest). While mapped, the page keeps the domain from being fully
   * destroyed: close the ring when the domain goes.
   */
  public ConsoleRing mapConsoleRing(DomId domain, long frame) {
    Pointer page =
        lib.xenforeignmemory_map(
            handle(), domain.value(), LinuxAbi.PROT_READ, 1, new long[] {frame}, null);
    NativeCall.checkNotNull(runtime, "xenforeignmemory_map", page, domain);
    return new ConsoleRing(this, page, false);
  }

  /**
   * Maps a domain's console ring read-write, for serving it as its back end: output taken, input
   * given ({@link ConsoleRing#takeOutput}, {@link ConsoleRing#giveInput}).
   */
  public ConsoleRing mapConsoleRingForBackend(DomId domain, long frame) {
    Pointer page =
        lib.xenforeignmemory_map(
            handle(),
            domain.value(),
            LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE,
            1,
            new long[] {frame},
            null);
    NativeCall.checkNotNull(runtime, "xenforeignmemory_map", page, domain);
    return new ConsoleRing(this, page, true);
  }

  /** Maps {@code frames} of {@code domain} (machine frames for a PV guest) one after another. */
  Pointer map(DomId domain, int prot, long[] frames) {
    Pointer pages =
        lib.xenforeignmemory_map(handle(), domain.value(), prot, frames.length, frames, null);
    return NativeCall.checkNotNull(runtime, "xenforeignmemory_map", pages, domain);
  }

  /** Unmaps {@code count} pages {@link #map} mapped at {@code pages}. */
  void unmap(Pointer pages, long count) {
    Pointer current = handle;
    if (current != null) {
      lib.xenforeignmemory_unmap(current, pages, count);
    }
  }

  void unmap(Pointer page) {
    Pointer current = handle;
    if (current != null) {
      lib.xenforeignmemory_unmap(current, page, 1);
    }
  }

  private Pointer handle() {
    Pointer current = handle;
    if (current == null) {
      throw new IllegalStateException("the foreign memory handle is closed");
    }
    return current;
  }

  /** Closes the handle; mappings made through it stay until unmapped. */
  @Override
  public synchronized void close() {
    if (handle != null) {
      lib.xenforeignmemory_close(handle);
      handle = null;
    }
  }
}
