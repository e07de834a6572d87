package org.chaosvm.libxc;

/**
 * Constants of Xen 4.17's public headers and tool libraries, under their C names. The ABI test
 * compiles a C probe that prints each of them and compares it with the value here.
 */
final class XenAbi {
  private XenAbi() {}

  // xen/domctl.h: struct xen_domctl_createdomain.flags
  /** evtchn_status.status (xen/event_channel.h): EventChannelStatus.State's order. */
  static final int EVTCHNSTAT_closed = 0;

  static final int EVTCHNSTAT_unbound = 1;
  static final int EVTCHNSTAT_interdomain = 2;
  static final int EVTCHNSTAT_pirq = 3;
  static final int EVTCHNSTAT_virq = 4;
  static final int EVTCHNSTAT_ipi = 5;

  static final int XEN_DOMCTL_CDF_hvm = 1 << 0;
  static final int XEN_DOMCTL_CDF_hap = 1 << 1;
  static final int XEN_DOMCTL_CDF_s3_integrity = 1 << 2;
  static final int XEN_DOMCTL_CDF_oos_off = 1 << 3;
  static final int XEN_DOMCTL_CDF_xs_domain = 1 << 4;
  static final int XEN_DOMCTL_CDF_iommu = 1 << 5;
  static final int XEN_DOMCTL_CDF_nested_virt = 1 << 6;
  static final int XEN_DOMCTL_CDF_vpmu = 1 << 7;
  static final int XEN_DOMCTL_GRANT_version_mask = 0xf;

  // xen/domctl.h: struct xen_domctl_getdomaininfo.flags
  static final int XEN_DOMINF_dying = 1 << 0;
  static final int XEN_DOMINF_hvm_guest = 1 << 1;
  static final int XEN_DOMINF_shutdown = 1 << 2;
  static final int XEN_DOMINF_paused = 1 << 3;
  static final int XEN_DOMINF_blocked = 1 << 4;
  static final int XEN_DOMINF_running = 1 << 5;
  static final int XEN_DOMINF_debugged = 1 << 6;
  static final int XEN_DOMINF_xs_domain = 1 << 7;
  static final int XEN_DOMINF_hap = 1 << 8;
  static final int XEN_DOMINF_shutdownmask = 255;
  static final int XEN_DOMINF_shutdownshift = 16;

  // xen/domctl.h: xc_vcpu_setaffinity flags
  static final int XEN_VCPUAFFINITY_HARD = 1 << 0;
  static final int XEN_VCPUAFFINITY_SOFT = 1 << 1;

  // xen/sched.h: shutdown reasons
  static final int SHUTDOWN_poweroff = 0;
  static final int SHUTDOWN_reboot = 1;
  static final int SHUTDOWN_suspend = 2;
  static final int SHUTDOWN_crash = 3;
  static final int SHUTDOWN_watchdog = 4;
  static final int SHUTDOWN_soft_reset = 5;

  // xen/xen.h
  static final int VIRQ_DOM_EXC = 3;
  static final int DOMID_FIRST_RESERVED = 0x7FF0;

  // xenguest.h
  static final int XC_DOM_PV_CONTAINER = 0;
  static final int XC_DOM_HVM_CONTAINER = 1;
  static final int XC_MAX_ERROR_MSG_LEN = 1024;

  // xentoollog.h: a message's level (enum xentoollog_level)
  static final int XTL_NOTICE = 6;

  // xenstore.h, xenstore_lib.h
  static final int XBT_NULL = 0;
  static final int XS_PERM_NONE = 0x00;
  static final int XS_PERM_READ = 0x01;
  static final int XS_PERM_WRITE = 0x02;

  // xen/io/xs_wire.h: xenstored's messages (enum xsd_sockmsg_type)
  static final int XS_DIRECTORY = 1;
  static final int XS_READ = 2;
  static final int XS_GET_PERMS = 3;
  static final int XS_TRANSACTION_START = 6;
  static final int XS_TRANSACTION_END = 7;
  static final int XS_WRITE = 11;
  static final int XS_MKDIR = 12;
  static final int XS_RM = 13;
  static final int XS_SET_PERMS = 14;
  static final int XS_WATCH_EVENT = 15;
  static final int XS_ERROR = 16;
  static final int XENSTORE_PAYLOAD_MAX = 4096;
}
