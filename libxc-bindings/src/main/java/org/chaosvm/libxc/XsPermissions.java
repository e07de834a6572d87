package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct xs_permissions} of xenstore_lib.h: one domain's access to a XenStore node. */
@CStruct("xs_permissions")
final class XsPermissions extends Struct {
  final Unsigned32 id = new Unsigned32();
  final Signed32 perms = new Signed32();

  XsPermissions(Runtime runtime) {
    super(runtime);
  }
}
