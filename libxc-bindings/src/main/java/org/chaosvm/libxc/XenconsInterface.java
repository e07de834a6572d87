package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct xencons_interface} of xen/io/console.h: the PV console's shared ring page. */
@CStruct("xencons_interface")
final class XenconsInterface extends Struct {
  final Unsigned8[] in = array(new Unsigned8[1024]);
  final Unsigned8[] out = array(new Unsigned8[2048]);
  final Unsigned32 in_cons = new Unsigned32();
  final Unsigned32 in_prod = new Unsigned32();
  final Unsigned32 out_cons = new Unsigned32();
  final Unsigned32 out_prod = new Unsigned32();

  XenconsInterface(Runtime runtime) {
    super(runtime);
  }
}
