package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct passwd} of pwd.h: a user's entry, as {@code getpwnam} returns it. */
@CStruct("passwd")
final class Passwd extends Struct {
  final Pointer pw_name = new Pointer();
  final Pointer pw_passwd = new Pointer();
  final Unsigned32 pw_uid = new Unsigned32();
  final Unsigned32 pw_gid = new Unsigned32();
  final Pointer pw_gecos = new Pointer();
  final Pointer pw_dir = new Pointer();
  final Pointer pw_shell = new Pointer();

  Passwd(Runtime runtime) {
    super(runtime);
  }
}
