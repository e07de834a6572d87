package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct loop_info64} of linux/loop.h. */
@CStruct("loop_info64")
final class LoopInfo64 extends Struct {
  final Unsigned64 lo_device = new Unsigned64();
  final Unsigned64 lo_inode = new Unsigned64();
  final Unsigned64 lo_rdevice = new Unsigned64();
  final Unsigned64 lo_offset = new Unsigned64();
  final Unsigned64 lo_sizelimit = new Unsigned64();
  final Unsigned32 lo_number = new Unsigned32();
  final Unsigned32 lo_encrypt_type = new Unsigned32();
  final Unsigned32 lo_encrypt_key_size = new Unsigned32();
  final Unsigned32 lo_flags = new Unsigned32();
  final UTF8String lo_file_name = new UTF8String(LinuxAbi.LO_NAME_SIZE);
  final Unsigned8[] lo_crypt_name = array(new Unsigned8[LinuxAbi.LO_NAME_SIZE]);
  final Unsigned8[] lo_encrypt_key = array(new Unsigned8[32]);
  final Unsigned64[] lo_init = array(new Unsigned64[2]);

  LoopInfo64(Runtime runtime) {
    super(runtime);
  }
}
