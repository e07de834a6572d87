package org.chaosvm.noxs;

/**
 * Constants of the noxs ABI, under their C names in the patched Xen's public headers
 * (kernel-patches/xen: public/devctl.h, public/io/noxs.h). The ABI test compiles a C probe against
 * those headers and compares each value.
 */
final class NoxsAbi {
  private NoxsAbi() {}

  // xen.h: the hypercall's number, here and nowhere else on the Java side.
  static final int __HYPERVISOR_devctl = 43;

  // devctl.h
  static final int XEN_DEVCTL_VERSION = 1;
  static final int XEN_DEVCTL_get = 1;
  static final int XEN_DEVCTL_add = 2;
  static final int XEN_DEVCTL_remove = 3;
  static final int XEN_DEVCTL_enumerate = 4;

  // io/noxs.h
  static final int NOXS_DEV_PAGE_VERSION = 1;
  static final int NOXS_DEV_COUNT_MAX = 32;
  static final int NOXS_DEV_NONE = 0;
  static final int NOXS_DEV_CONTROL = 1;
  static final int NOXS_DEV_CONSOLE = 2;
  static final int NOXS_DEV_VIF = 3;
  static final int NOXS_DEV_VBD = 4;
  static final int NOXS_DEV_TYPE_MAX = 4;
  static final int NOXS_CONTROL_NONE = 0;
  static final int NOXS_CONTROL_POWEROFF = 1;
  static final int NOXS_CONTROL_REBOOT = 2;
  static final int NOXS_CONTROL_SUSPEND = 3;
  static final int NOXS_CONTROL_CRASH = 4;

  // kernel-patches/linux/netback-noxs/noxs-netback.h: /dev/xen/noxs-netback's ioctls
  static final int NOXS_NETBACK_ALL = 0xffffffff;
  static final int NOXS_NETBACK_LIST_MAX = 1024;
  static final long NOXS_NETBACK_CREATE = ioc(3, 1, 32);
  static final long NOXS_NETBACK_CONFIGURE = ioc(1, 2, 32);
  static final long NOXS_NETBACK_DESTROY = ioc(1, 3, 8);
  static final long NOXS_NETBACK_LIST = ioc(2, 4, 8 + 8 * 1024);
  static final long NOXS_NETBACK_STATE = ioc(3, 5, 16);

  /** Linux's {@code _IOC(dir, 'N', nr, size)}: dir 1 write, 2 read, 3 both. */
  private static long ioc(int dir, int nr, int size) {
    return ((long) dir << 30) | ((long) size << 16) | ('N' << 8) | nr;
  }
}
