package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/** {@code struct loop_config} of linux/loop.h: what {@code LOOP_CONFIGURE} sets in one call. */
@CStruct("loop_config")
final class LoopConfig extends Struct {
  final Unsigned32 fd = new Unsigned32();
  final Unsigned32 block_size = new Unsigned32();
  final LoopInfo64 info = inner(new LoopInfo64(getRuntime()));
  final Unsigned64[] __reserved = array(new Unsigned64[8]);

  LoopConfig(Runtime runtime) {
    super(runtime);
  }
}
