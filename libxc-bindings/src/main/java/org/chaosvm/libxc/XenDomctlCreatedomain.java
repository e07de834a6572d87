package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct xen_domctl_createdomain} of xen/domctl.h (Xen 4.17, interface version 0x15). */
@CStruct("xen_domctl_createdomain")
final class XenDomctlCreatedomain extends Struct {
  final Unsigned32 ssidref = new Unsigned32();
  final Unsigned8[] handle = array(new Unsigned8[16]);
  final Unsigned32 flags = new Unsigned32();
  final Unsigned32 iommu_opts = new Unsigned32();
  final Unsigned32 max_vcpus = new Unsigned32();
  final Unsigned32 max_evtchn_port = new Unsigned32();
  final Signed32 max_grant_frames = new Signed32();
  final Signed32 max_maptrack_frames = new Signed32();
  final Unsigned32 grant_opts = new Unsigned32();
  final Unsigned32 vmtrace_size = new Unsigned32();
  final Unsigned32 cpupool_id = new Unsigned32();
  final XenArchDomainconfig arch = inner(new XenArchDomainconfig(getRuntime()));

  XenDomctlCreatedomain(Runtime runtime) {
    super(runtime);
  }
}
