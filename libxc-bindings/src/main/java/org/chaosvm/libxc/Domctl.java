package org.chaosvm.libxc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Domctls libxenctrl has no function for, or none that chaos binds: a {@code struct xen_domctl}
 * filled here, given to {@code xc_domctl} (which sets its interface version), and its union read
 * back.
 */
final class Domctl {
  // struct xen_domctl (checked in AbiTest).
  static final int SIZE = 144;
  static final int UNION = 16;
  static final int UNION_SIZE = SIZE - UNION;

  /** Fills a domctl's union. */
  interface Union {
    void fill(ByteBuffer union);
  }

  /** Fills a domctl's union, which points at a hypercall buffer at {@code address}. */
  interface BufferUnion {
    void fill(ByteBuffer union, long address);
  }

  private Domctl() {}

  /** Domctl {@code cmd} ({@code name} in errors) on {@code domid}; its union as Xen left it. */
  static ByteBuffer call(XenCtrl xc, DomId domid, int cmd, String name, Union union) {
    ByteBuffer domctl = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
    domctl.putInt(0, cmd);
    domctl.putShort(8, (short) domid.value());
    union.fill(unionOf(domctl));
    int rc = LibXenCtrl.lib().xc_domctl(xc.handle(), domctl.array());
    NativeCall.checkNonNegative(xc.runtime(), "xc_domctl " + name, rc, domid, xc::takeLastError);
    return unionOf(domctl);
  }

  /** A domctl whose union points at {@code buffer}; its union as Xen left it. */
  static ByteBuffer call(
      XenCtrl xc, DomId domid, int cmd, String name, HypercallBuffer buffer, BufferUnion union) {
    return call(xc, domid, cmd, name, u -> union.fill(u, buffer.address()));
  }

  /** A domctl whose union points at a hypercall buffer of {@code call} holding {@code blob}. */
  static void withBlob(
      XenCall call, XenCtrl xc, DomId domid, byte[] blob, int cmd, String name, BufferUnion union) {
    try (HypercallBuffer buffer = call.allocate(blob.length)) {
      buffer.write(ByteBuffer.wrap(blob));
      call(xc, domid, cmd, name, buffer, union);
    }
  }

  private static ByteBuffer unionOf(ByteBuffer domctl) {
    return domctl.position(UNION).slice().order(ByteOrder.LITTLE_ENDIAN);
  }
}
