package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code xc_error} of xenctrl.h: libxc's last error on an interface. */
@CStruct("xc_error")
final class XcError extends Struct {
  final Signed32 code = new Signed32();
  final UTF8String message = new UTF8String(XenAbi.XC_MAX_ERROR_MSG_LEN);

  XcError(Runtime runtime) {
    super(runtime);
  }
}
