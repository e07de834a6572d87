package org.chaosvm.libxc;

/**
 * Xen's migration stream v2 (docs/specs/libxc-migration-stream in Xen's sources), version 3 as Xen
 * 4.17 writes it: the image header's fields and the record types a 64-bit PV guest's stream has,
 * shared by {@link PvSave}, which writes it, and {@link PvRestore}, which reads it.
 */
final class StreamFormat {
  static final long MARKER = -1L;
  static final int ID = 0x58454E46; // "XENF"
  static final int VERSION = 3;
  static final int BIG_ENDIAN_OPTION = 1;
  static final int DHDR_TYPE_X86_PV = 1;

  static final int END = 0x00;
  static final int PAGE_DATA = 0x01;
  static final int X86_PV_INFO = 0x02;
  static final int X86_PV_P2M_FRAMES = 0x03;
  static final int X86_PV_VCPU_BASIC = 0x04;
  static final int X86_PV_VCPU_EXTENDED = 0x05;
  static final int X86_PV_VCPU_XSAVE = 0x06;
  static final int SHARED_INFO = 0x07;
  static final int X86_TSC_INFO = 0x08;
  static final int X86_PV_VCPU_MSRS = 0x0c;
  static final int STATIC_DATA_END = 0x10;
  static final int X86_CPUID_POLICY = 0x11;
  static final int X86_MSR_POLICY = 0x12;
  static final int OPTIONAL = 0x80000000;

  /** A CPUID policy's entry ({@code xen_cpuid_leaf_t}) and an MSR's ({@code xen_msr_entry_t}). */
  static final int CPUID_LEAF_SIZE = 24;

  static final int MSR_ENTRY_SIZE = 16;

  private StreamFormat() {}
}
