package org.chaosvm.tinyx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the smallest ELF64 file that carries what {@link Elf} reads: an interpreter, DT_NEEDED
 * entries, a DT_RUNPATH and a DT_SONAME, in one PT_LOAD segment mapped at 0x400000.
 */
final class ElfWriter {
  private static final long BASE = 0x400000;

  private String interpreter;
  private final List<String> needed = new ArrayList<>();
  private String runpath;
  private String soname;

  ElfWriter interpreter(String path) {
    this.interpreter = path;
    return this;
  }

  ElfWriter needs(String... libs) {
    needed.addAll(List.of(libs));
    return this;
  }

  ElfWriter runpath(String path) {
    this.runpath = path;
    return this;
  }

  ElfWriter soname(String name) {
    this.soname = name;
    return this;
  }

  byte[] bytes() {
    // Layout: header (64), 3 program headers (3 * 56), interp string, string table, dynamic.
    int phoff = 64;
    int phnum = 3;
    int interpOff = phoff + phnum * 56;
    byte[] interpBytes = interpreter == null ? new byte[0] : z(interpreter);
    int strtabOff = interpOff + interpBytes.length;
    ByteArrayOutputStream strtab = new ByteArrayOutputStream();
    strtab.write(0);
    List<long[]> dyn = new ArrayList<>();
    for (String lib : needed) {
      dyn.add(new long[] {1, strtab.size()});
      strtab.writeBytes(z(lib));
    }
    if (soname != null) {
      dyn.add(new long[] {14, strtab.size()});
      strtab.writeBytes(z(soname));
    }
    if (runpath != null) {
      dyn.add(new long[] {29, strtab.size()});
      strtab.writeBytes(z(runpath));
    }
    dyn.add(new long[] {5, BASE + strtabOff});
    dyn.add(new long[] {0, 0});
    int dynOff = (strtabOff + strtab.size() + 7) & ~7;
    int size = dynOff + dyn.size() * 16;
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
    b.putShort(16, (short) 3); // ET_DYN
    b.putShort(18, (short) 62); // EM_X86_64
    b.putInt(20, 1);
    b.putLong(32, phoff);
    b.putShort(52, (short) 64);
    b.putShort(54, (short) 56);
    b.putShort(56, (short) phnum);
    programHeader(b, phoff, 1, 0, BASE, size); // PT_LOAD: the whole file
    programHeader(
        b,
        phoff + 56,
        interpreter == null ? 0 : 3,
        interpOff,
        BASE + interpOff,
        interpBytes.length);
    programHeader(b, phoff + 112, 2, dynOff, BASE + dynOff, dyn.size() * 16L);
    b.put(interpOff, interpBytes);
    b.put(strtabOff, strtab.toByteArray());
    for (int i = 0; i < dyn.size(); i++) {
      b.putLong(dynOff + i * 16, dyn.get(i)[0]);
      b.putLong(dynOff + i * 16 + 8, dyn.get(i)[1]);
    }
    return b.array();
  }

  Path write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    return Files.write(file, bytes());
  }

  private static void programHeader(ByteBuffer b, int at, int type, long off, long vaddr, long sz) {
    b.putInt(at, type);
    b.putInt(at + 4, 5);
    b.putLong(at + 8, off);
    b.putLong(at + 16, vaddr);
    b.putLong(at + 24, vaddr);
    b.putLong(at + 32, sz);
    b.putLong(at + 40, sz);
    b.putLong(at + 48, 8);
  }

  private static byte[] z(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[bytes.length + 1];
    System.arraycopy(bytes, 0, out, 0, bytes.length);
    return out;
  }
}
