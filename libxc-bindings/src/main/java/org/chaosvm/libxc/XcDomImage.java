package org.chaosvm.libxc;

import jnr.ffi.Pointer;

/**
 * The fields of libxenguest's {@code struct xc_dom_image} that a caller of the domain builder sets
 * or reads. The struct is large (about 2 KB), holds arch-conditional members and is allocated by
 * {@code xc_dom_allocate}, so it is not mirrored whole: each field used here is named with its C
 * name, offset and size, and the ABI test checks all three against the installed xenguest.h.
 */
final class XcDomImage {
  /** A field of {@code struct xc_dom_image} (x86_64, Xen 4.17). */
  enum Field {
    kernel_blob(0, 8),
    kernel_size(8, 8),
    console_pfn(384, 8),
    xenstore_pfn(392, 8),
    pv_p2m(480, 8),
    total_pages(504, 8),
    flags(560, 8),
    console_evtchn(568, 4),
    xenstore_evtchn(572, 4),
    console_domid(576, 4),
    xenstore_domid(580, 4),
    claim_enabled(604, 4),
    container_type(1712, 4),
    max_vcpus(1944, 4);

    final long offset;
    final int size;

    Field(long offset, int size) {
      this.offset = offset;
      this.size = size;
    }
  }

  /** {@code INVALID_MFN} as xc_dom_p2m returns it for a pfn beyond the guest. */
  static final long INVALID_MFN = ~0L;

  private final Pointer dom;

  XcDomImage(Pointer dom) {
    this.dom = dom;
  }

  void putInt(Field field, int value) {
    requireSize(field, 4);
    dom.putInt(field.offset, value);
  }

  void putLong(Field field, long value) {
    requireSize(field, 8);
    dom.putLong(field.offset, value);
  }

  long getLong(Field field) {
    requireSize(field, 8);
    return dom.getLong(field.offset);
  }

  Pointer getPointer(Field field) {
    requireSize(field, 8);
    return dom.getPointer(field.offset);
  }

  /** The machine frame of guest frame {@code pfn}, as the inline xc_dom_p2m computes it. */
  long p2m(long pfn, boolean translated) {
    if (translated) {
      return pfn;
    }
    if (pfn < 0 || pfn >= getLong(Field.total_pages)) {
      return INVALID_MFN;
    }
    return dom.getPointer(Field.pv_p2m.offset).getLong(pfn * 8);
  }

  private static void requireSize(Field field, int size) {
    if (field.size != size) {
      throw new IllegalArgumentException(field + " is " + field.size + " bytes, not " + size);
    }
  }
}
