package org.chaosvm.libxc;

/**
 * A Xen domain id ({@code domid_t}). Ordinary domains are numbered below {@link #FIRST_RESERVED};
 * the ids from there up name special domains (DOMID_SELF, DOMID_IO, ...).
 */
public record DomId(int value) implements Comparable<DomId> {
  /** {@code DOMID_FIRST_RESERVED}: the first id that is not an ordinary domain. */
  public static final int FIRST_RESERVED = 0x7FF0;

  /** Domain-0, where the toolstack runs. */
  public static final DomId DOM0 = new DomId(0);

  public DomId {
    if (value < 0 || value >= FIRST_RESERVED) {
      throw new IllegalArgumentException("not an ordinary Xen domain id: " + value);
    }
  }

  public static DomId of(int value) {
    return new DomId(value);
  }

  @Override
  public int compareTo(DomId other) {
    return Integer.compare(value, other.value);
  }

  @Override
  public String toString() {
    return Integer.toString(value);
  }
}
