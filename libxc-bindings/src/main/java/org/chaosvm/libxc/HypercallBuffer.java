package org.chaosvm.libxc;

import java.nio.ByteBuffer;
import jnr.ffi.Pointer;

/**
 * Memory for a hypercall's argument, from {@link XenCall#allocate}: callers encode the argument
 * elsewhere and copy it in, make the call, and copy the result out. Not thread-safe: one call at a
 * time per buffer.
 */
public final class HypercallBuffer implements AutoCloseable {
  private final XenCall owner;
  private final Pointer memory;
  private final int size;
  private boolean closed;

  HypercallBuffer(XenCall owner, Pointer memory, int size) {
    this.owner = owner;
    this.memory = memory;
    this.size = size;
  }

  public int size() {
    return size;
  }

  /** Copies {@code bytes} (from its position to its limit) to the buffer's start. */
  public void write(ByteBuffer bytes) {
    check(bytes.remaining());
    byte[] copy = new byte[bytes.remaining()];
    bytes.duplicate().get(copy);
    memory.put(0, copy, 0, copy.length);
  }

  /**
   * Copies the buffer's first {@code into.remaining()} bytes into {@code into}, at its position.
   */
  public void read(ByteBuffer into) {
    check(into.remaining());
    byte[] copy = new byte[into.remaining()];
    memory.get(0, copy, 0, copy.length);
    into.duplicate().put(copy);
  }

  long address() {
    if (closed) {
      throw new IllegalStateException("the hypercall buffer is freed");
    }
    return memory.address();
  }

  private void check(int length) {
    if (closed) {
      throw new IllegalStateException("the hypercall buffer is freed");
    }
    if (length > size) {
      throw new IllegalArgumentException(length + " bytes do not fit a buffer of " + size);
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      owner.free(memory);
    }
  }
}
