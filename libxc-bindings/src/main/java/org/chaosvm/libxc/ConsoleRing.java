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
  /**
   * Where {@link XenconsInterface}'s fields lie, read once: a struct instance per ring would hold
   * one object per byte of the ring (3072 of them, some 100 KiB of heap per guest).
   */
  private static final class Layout {
    static final int IN;
    static final int OUT;
    static final int IN_SIZE;
    static final int OUT_SIZE;
    static final int IN_CONS;
    static final int IN_PROD;
    static final int OUT_CONS;
    static final int OUT_PROD;

    static {
      XenconsInterface ring = new XenconsInterface(jnr.ffi.Runtime.getSystemRuntime());
      IN = (int) ring.in[0].offset();
      OUT = (int) ring.out[0].offset();
      IN_SIZE = ring.in.length;
      OUT_SIZE = ring.out.length;
      IN_CONS = (int) ring.in_cons.offset();
      IN_PROD = (int) ring.in_prod.offset();
      OUT_CONS = (int) ring.out_cons.offset();
      OUT_PROD = (int) ring.out_prod.offset();
    }
  }

  private final ForeignMemory memory;
  private final boolean backend;
  private Pointer page;

  ConsoleRing(ForeignMemory memory, Pointer page, boolean backend) {
    this.memory = memory;
    this.page = page;
    this.backend = backend;
  }

  /** How many bytes the guest has written to its console since the ring was set up (mod 2^32). */
  public synchronized long outputProduced() {
    check();
    return index(Layout.OUT_PROD);
  }

  private long index(int offset) {
    return Integer.toUnsignedLong(page.getInt(offset));
  }

  /**
   * Takes the guest's output: copies what lies between {@code out_cons} and {@code out_prod} (at
   * most the ring's size, and at most {@code into.length}), moves {@code out_cons} past it, and
   * returns how many bytes it took. The guest is to be notified then.
   */
  public synchronized int takeOutput(byte[] into) {
    checkBackend();
    int cons = (int) index(Layout.OUT_CONS);
    int prod = (int) index(Layout.OUT_PROD);
    VarHandle.acquireFence();
    int available = Math.min(prod - cons, Layout.OUT_SIZE);
    if (available <= 0) {
      return 0;
    }
    int count = Math.min(available, into.length);
    for (int i = 0; i < count; i++) {
      into[i] = page.getByte(Layout.OUT + ((cons + i) & (Layout.OUT_SIZE - 1)));
    }
    VarHandle.fullFence();
    page.putInt(Layout.OUT_CONS, cons + count);
    return count;
  }

  /** Gives input to the guest: as much of {@code data} as the ring has room for; how much. */
  public synchronized int giveInput(byte[] data) {
    checkBackend();
    int cons = (int) index(Layout.IN_CONS);
    int prod = (int) index(Layout.IN_PROD);
    VarHandle.acquireFence();
    int used = prod - cons;
    if (used < 0 || used > Layout.IN_SIZE) {
      return 0; // indexes no guest of ours writes: give nothing
    }
    int count = Math.min(Layout.IN_SIZE - used, data.length);
    for (int i = 0; i < count; i++) {
      page.putByte(Layout.IN + ((prod + i) & (Layout.IN_SIZE - 1)), data[i]);
    }
    VarHandle.fullFence();
    page.putInt(Layout.IN_PROD, prod + count);
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
