package org.chaosvm.libxc;

import jnr.ffi.Pointer;

/**
 * A read-only view of a guest's PV console ring ({@link ForeignMemory#mapConsoleRing}). The guest
 * writes its output into the ring and moves {@code out_prod}; the console back end reads it and
 * moves {@code out_cons}. Watching {@code out_prod} tells when the guest wrote anything, without
 * taking the ring from its back end.
 */
public final class ConsoleRing implements AutoCloseable {
  private final ForeignMemory memory;
  private final XenconsInterface ring;
  private Pointer page;

  ConsoleRing(ForeignMemory memory, Pointer page) {
    this.memory = memory;
    this.page = page;
    this.ring = new XenconsInterface(memory.runtime());
    ring.useMemory(page);
  }

  /** How many bytes the guest has written to its console since the ring was set up (mod 2^32). */
  public synchronized long outputProduced() {
    if (page == null) {
      throw new IllegalStateException("the console ring is unmapped");
    }
    return ring.out_prod.get();
  }

  /** Unmaps the page. */
  @Override
  public synchronized void close() {
    if (page != null) {
      memory.unmap(page);
      page = null;
    }
  }
}
