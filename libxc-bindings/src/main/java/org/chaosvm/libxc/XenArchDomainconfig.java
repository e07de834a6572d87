package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct xen_arch_domainconfig} of xen/arch-x86/xen.h (Xen 4.17). */
@CStruct("xen_arch_domainconfig")
final class XenArchDomainconfig extends Struct {
  final Unsigned32 emulation_flags = new Unsigned32();
  final Unsigned32 misc_flags = new Unsigned32();

  XenArchDomainconfig(Runtime runtime) {
    super(runtime);
  }
}
