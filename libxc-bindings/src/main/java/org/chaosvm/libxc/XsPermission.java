package org.chaosvm.libxc;

/**
 * One entry of a XenStore node's permission list. The first entry names the node's owner and what
 * every domain not listed may do; the others grant access to one domain each.
 */
public record XsPermission(DomId domain, Access access) {
  /** {@code XS_PERM_*}. */
  public enum Access {
    NONE(XenAbi.XS_PERM_NONE),
    READ(XenAbi.XS_PERM_READ),
    WRITE(XenAbi.XS_PERM_WRITE),
    BOTH(XenAbi.XS_PERM_READ | XenAbi.XS_PERM_WRITE);

    final int bits;

    Access(int bits) {
      this.bits = bits;
    }

    static Access of(int bits) {
      for (Access access : values()) {
        if (access.bits == (bits & BOTH.bits)) {
          return access;
        }
      }
      throw new IllegalArgumentException("XenStore permission bits " + bits);
    }
  }
}
