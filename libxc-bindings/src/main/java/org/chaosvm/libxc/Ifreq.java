package org.chaosvm.libxc;

import java.nio.charset.StandardCharsets;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct ifreq} of net/if.h: an interface name and a union ({@code ifr_ifru}) whose member
 * depends on the ioctl (flags, index, MTU, new name); the union is kept as its bytes.
 */
@CStruct("ifreq")
final class Ifreq extends Struct {
  final UTF8String ifr_name = new UTF8String(LinuxAbi.IFNAMSIZ);
  final Unsigned8[] ifr_ifru = array(new Unsigned8[24]);

  Ifreq(Runtime runtime, java.lang.String name) {
    super(runtime);
    useMemory(jnr.ffi.Memory.allocateDirect(runtime, Struct.size(this), true));
    ifr_name.set(name);
  }

  /** For the ABI test. */
  Ifreq(Runtime runtime) {
    super(runtime);
  }

  private long unionOffset() {
    return ifr_ifru[0].offset();
  }

  /** {@code ifr_flags}, {@code ifr_ifindex}, {@code ifr_mtu}: the union read as a C int/short. */
  int unionInt() {
    return getMemory(this).getInt(unionOffset());
  }

  short unionShort() {
    return getMemory(this).getShort(unionOffset());
  }

  void unionInt(int value) {
    getMemory(this).putInt(unionOffset(), value);
  }

  void unionShort(short value) {
    getMemory(this).putShort(unionOffset(), value);
  }

  /** {@code ifr_newname}. */
  void unionName(java.lang.String name) {
    byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
    getMemory(this).put(unionOffset(), bytes, 0, bytes.length);
    getMemory(this).putByte(unionOffset() + bytes.length, (byte) 0);
  }
}
