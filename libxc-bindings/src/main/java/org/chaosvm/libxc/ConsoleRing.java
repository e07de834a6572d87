package org.chaosvm.libxc;

import java.lang.invoke.VarHandle;
import jnr.ffi.Pointer;

/**
 * A view of a guest's PV console ring ({@link ForeignMemory#mapConsoleRing}). The guest writes its
 * output into the ring and moves {@code out_prod}; the console back end reads it and moves {@code
 * out_cons}, and the other way round for input. Read-only, it tells when the guest wrote anything
 * without taking the ring from its back end; mapped for the back end, it is the back end's. The
 * guest can write every index: each is read once and only bytes within the ring are ever copied.
 */
public final class ConsoleRing implements AutoCloseable {
  private final ForeignMemory memory;
  private final XenconsInterface ring;
  private final boolean backend;
  private final int inOffset;
  private final int outOffset;
  private final int inSize;
  private final int outSize;
  private Pointer page;

  ConsoleRing(ForeignMemory memory, Pointer page, boolean backend) {
    this.memory = memory;
    this.page = page;
    this.backend = backend;
    this.ring = new XenconsInterface(memory.runtime());
    ring.useMemory(page);
    this.inOffset = (int) ring.in[0].offset();
    this.outOffset = (int) ring.out[0].offset();
    this.inSize = ring.in.length;
    this.outSize = ring.out.length;
  }

  /** How many bytes the guest has written to its console since the ring was set up (mod 2^32). */
  public synchronized long outputProduced() {
    check();
    return ring.out_prod.get();
  }

  /**
   * Takes the guest's output: copies what lies between {@code out_cons} and {@code out_prod} (at
   * most the ring's size, and at most {@code into.length}), moves {@code out_cons} past it, and
   * returns how many bytes it took. The guest is to be notified then.
   */
  public synchronized int takeOutput(byte[] into) {
    checkBackend();
    int cons = (int) ring.out_cons.get();
    int prod = (int) ring.out_prod.get();
    VarHandle.acquireFence();
    int available = Math.min(prod - cons, outSize);
    if (available <= 0) {
      return 0;
    }
    int count = Math.min(available, into.length);
    for (int i = 0; i < count; i++) {
      into[i] = page.getByte(outOffset + ((cons + i) & (outSize - 1)));
    }
    VarHandle.fullFence();
    ring.out_cons.set(Integer.toUnsignedLong(cons + count));
    return count;
  }

  /** Gives input to the guest: as much of {@code data} as the ring has room for; how much. */
  public synchronized int giveInput(byte[] data) {
    checkBackend();
    int cons = (int) ring.in_cons.get();
    int prod = (int) ring.in_prod.get();
    VarHandle.acquireFence();
    int used = prod - cons;
    if (used < 0 || used > inSize) {
      return 0; // indexes no guest of ours writes: give nothing
    }
    int count = Math.min(inSize - used, data.length);
    for (int i = 0; i < count; i++) {
      page.putByte(inOffset + ((prod + i) & (inSize - 1)), data[i]);
    }
    VarHandle.fullFence();
    ring.in_prod.set(Integer.toUnsignedLong(prod + count));
    return count;
  }

  private void check() {
    if (page == null) {
      throw new IllegalStateException("the console ring is unmapped");
    }
  }

  private void checkBackend() {
    check();
    if (!backend) {
      throw new IllegalStateException("the console ring is mapped read-only");
    }
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
