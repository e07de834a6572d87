package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct xen_domctl_getdomaininfo} of xen/domctl.h (Xen 4.17), which libxenctrl calls {@code
 * xc_domaininfo_t}.
 */
@CStruct("xen_domctl_getdomaininfo")
final class XenDomctlGetdomaininfo extends Struct {
  final Unsigned16 domain = new Unsigned16();
  final Unsigned16 pad1 = new Unsigned16();
  final Unsigned32 flags = new Unsigned32();
  final Unsigned64 tot_pages = new Unsigned64();
  final Unsigned64 max_pages = new Unsigned64();
  final Unsigned64 outstanding_pages = new Unsigned64();
  final Unsigned64 shr_pages = new Unsigned64();
  final Unsigned64 paged_pages = new Unsigned64();
  final Unsigned64 shared_info_frame = new Unsigned64();
  final Unsigned64 cpu_time = new Unsigned64();
  final Unsigned32 nr_online_vcpus = new Unsigned32();
  final Unsigned32 max_vcpu_id = new Unsigned32();
  final Unsigned32 ssidref = new Unsigned32();
  final Unsigned8[] handle = array(new Unsigned8[16]);
  final Unsigned32 cpupool = new Unsigned32();
  final Unsigned8 gpaddr_bits = new Unsigned8();
  final Unsigned8[] pad2 = array(new Unsigned8[7]);
  final XenArchDomainconfig arch_config = inner(new XenArchDomainconfig(getRuntime()));

  XenDomctlGetdomaininfo(Runtime runtime) {
    super(runtime);
  }
}
