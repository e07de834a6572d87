package org.chaosvm.libxc;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A kernel (or ramdisk) image in native memory, as libxenguest's {@code xc_dom_kernel_mem} takes
 * it: the builder keeps a pointer into it, so it lives as long as this object is reachable.
 */
public final class KernelImage {
  private final Pointer memory;
  private final long size;

  private KernelImage(Pointer memory, long size) {
    this.memory = memory;
    this.size = size;
  }

  static KernelImage of(byte[] bytes) {
    Runtime runtime = Runtime.getSystemRuntime();
    Pointer memory = Memory.allocateDirect(runtime, bytes.length, false);
    memory.put(0, bytes, 0, bytes.length);
    return new KernelImage(memory, bytes.length);
  }

  static KernelImage copyOf(Runtime runtime, Pointer source, long size) {
    Pointer memory = Memory.allocateDirect(runtime, size, false);
    source.transferTo(0, memory, 0, size);
    return new KernelImage(memory, size);
  }

  Pointer memory() {
    return memory;
  }

  /** Size in bytes. */
  public long size() {
    return size;
  }
}
