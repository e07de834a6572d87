package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct xen_sysctl_physinfo} of xen/sysctl.h (Xen 4.17), libxenctrl's xc_physinfo_t. */
@CStruct("xen_sysctl_physinfo")
final class XenSysctlPhysinfo extends Struct {
  final Unsigned32 threads_per_core = new Unsigned32();
  final Unsigned32 cores_per_socket = new Unsigned32();
  final Unsigned32 nr_cpus = new Unsigned32();
  final Unsigned32 max_cpu_id = new Unsigned32();
  final Unsigned32 nr_nodes = new Unsigned32();
  final Unsigned32 max_node_id = new Unsigned32();
  final Unsigned32 cpu_khz = new Unsigned32();
  final Unsigned32 capabilities = new Unsigned32();
  final Unsigned32 arch_capabilities = new Unsigned32();
  final Unsigned32 pad = new Unsigned32();
  final Unsigned64 total_pages = new Unsigned64();
  final Unsigned64 free_pages = new Unsigned64();
  final Unsigned64 scrub_pages = new Unsigned64();
  final Unsigned64 outstanding_pages = new Unsigned64();
  final Unsigned64 max_mfn = new Unsigned64();
  final Unsigned32[] hw_cap = array(new Unsigned32[8]);

  XenSysctlPhysinfo(Runtime runtime) {
    super(runtime);
  }
}
