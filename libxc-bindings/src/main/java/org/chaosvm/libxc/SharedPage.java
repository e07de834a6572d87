package org.chaosvm.libxc;

import java.lang.invoke.VarHandle;
import jnr.ffi.Pointer;

/**
 * One page of Dom0's memory granted to a domain ({@link GrantShare#share}): its grant reference,
 * and 32-bit reads and writes at byte offsets. The other domain may change any of it at any time,
 * so each read is one load, and callers validate what they read. Writes are ordered (a fence after
 * each), as a shared-memory protocol needs.
 */
public final class SharedPage implements AutoCloseable {
  public static final int SIZE = 4096;

  private final GrantShare owner;
  private final Pointer page;
  private final int grant;
  private final DomId domain;
  private boolean closed;

  SharedPage(GrantShare owner, Pointer page, int grant, DomId domain) {
    this.owner = owner;
    this.page = page;
    this.grant = grant;
    this.domain = domain;
  }

  /** The grant reference the domain maps the page with. */
  public int grant() {
    return grant;
  }

  public DomId domain() {
    return domain;
  }

  public synchronized int getInt(int offset) {
    check(offset);
    VarHandle.acquireFence();
    return page.getInt(offset);
  }

  public synchronized void putInt(int offset, int value) {
    check(offset);
    page.putInt(offset, value);
    VarHandle.fullFence();
  }

  private void check(int offset) {
    if (closed) {
      throw new IllegalStateException("the page shared with domain " + domain + " is unshared");
    }
    if (offset < 0 || offset > SIZE - Integer.BYTES || offset % Integer.BYTES != 0) {
      throw new IllegalArgumentException("not an aligned 32-bit offset in a page: " + offset);
    }
  }

  /**
   * Ends the share. The domain keeps the page until it unmaps it (or dies); the memory is freed
   * then, not before.
   */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      owner.unshare(page, domain);
    }
  }
}
