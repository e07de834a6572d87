package org.chaosvm.tinyx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the dynamic linker reads of a 64-bit little-endian ELF file: its interpreter ({@code
 * PT_INTERP}) and, from its dynamic section, the libraries it needs ({@code DT_NEEDED}), its {@code
 * DT_RUNPATH}/{@code DT_RPATH} and its {@code DT_SONAME}, as {@code objdump -p} prints them.
 *
 * @param interpreter the program interpreter, for executables that have one
 * @param needed the {@code DT_NEEDED} entries, in order
 * @param runpath the search path of {@code DT_RUNPATH} (or {@code DT_RPATH} when there is none)
 * @param soname the library's {@code DT_SONAME}
 */
public record Elf(
    Optional<String> interpreter,
    List<String> needed,
    List<String> runpath,
    Optional<String> soname) {

  private static final int PT_LOAD = 1;
  private static final int PT_DYNAMIC = 2;
  private static final int PT_INTERP = 3;
  private static final long DT_NULL = 0;
  private static final long DT_NEEDED = 1;
  private static final long DT_STRTAB = 5;
  private static final long DT_SONAME = 14;
  private static final long DT_RPATH = 15;
  private static final long DT_RUNPATH = 29;

  public Elf {
    needed = List.copyOf(needed);
    runpath = List.copyOf(runpath);
  }

  /**
   * The runpath's folders for a file in folder {@code origin}: {@code $ORIGIN} and {@code
   * ${ORIGIN}} replaced by it, as the dynamic linker does.
   */
  public List<String> runpathDirs(String origin) {
    return runpath.stream()
        .map(dir -> dir.replace("${ORIGIN}", origin).replace("$ORIGIN", origin))
        .toList();
  }

  /** Whether the file starts with ELF's magic number (a cheap test before {@link #read}). */
  public static boolean isElf(Path file) throws IOException {
    if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4
          && magic[0] == 0x7f
          && magic[1] == 'E'
          && magic[2] == 'L'
          && magic[3] == 'F';
    }
  }

  /**
   * Reads an ELF file.
   *
   * @throws IOException when the file cannot be read or is not a 64-bit little-endian ELF file
   */
  public static Elf read(Path file) throws IOException {
    ByteBuffer buf;
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      if (channel.size() > Integer.MAX_VALUE) {
        throw new IOException(file + " is too large for an ELF file tinyx reads");
      }
      buf = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size());
    }
    return parse(buf, file.toString());
  }

  static Elf parse(ByteBuffer buf, String name) throws IOException {
    buf.order(ByteOrder.LITTLE_ENDIAN);
    if (buf.limit() < 64
        || buf.get(0) != 0x7f
        || buf.get(1) != 'E'
        || buf.get(2) != 'L'
        || buf.get(3) != 'F') {
      throw new IOException(name + " is not an ELF file");
    }
    if (buf.get(4) != 2 || buf.get(5) != 1) {
      throw new IOException(name + " is not a 64-bit little-endian ELF file");
    }
    long phoff = buf.getLong(32);
    int phentsize = Short.toUnsignedInt(buf.getShort(54));
    int phnum = Short.toUnsignedInt(buf.getShort(56));
    List<long[]> loads = new ArrayList<>(); // {vaddr, offset, filesz}
    Optional<String> interpreter = Optional.empty();
    long dynOffset = -1;
    long dynSize = 0;
    for (int i = 0; i < phnum; i++) {
      int ph = checkedOffset(buf, phoff + (long) i * phentsize, 56, name);
      int type = buf.getInt(ph);
      long offset = buf.getLong(ph + 8);
      long vaddr = buf.getLong(ph + 16);
      long filesz = buf.getLong(ph + 32);
      switch (type) {
        case PT_LOAD -> loads.add(new long[] {vaddr, offset, filesz});
        case PT_INTERP -> interpreter = Optional.of(cString(buf, offset, name));
        case PT_DYNAMIC -> {
          dynOffset = offset;
          dynSize = filesz;
        }
        default -> {}
      }
    }
    if (dynOffset < 0) {
      return new Elf(interpreter, List.of(), List.of(), Optional.empty());
    }
    List<Long> neededAt = new ArrayList<>();
    long strtabVaddr = -1;
    long sonameAt = -1;
    long rpathAt = -1;
    long runpathAt = -1;
    for (long at = dynOffset; at + 16 <= dynOffset + dynSize; at += 16) {
      int entry = checkedOffset(buf, at, 16, name);
      long tag = buf.getLong(entry);
      long value = buf.getLong(entry + 8);
      if (tag == DT_NULL) {
        break;
      } else if (tag == DT_NEEDED) {
        neededAt.add(value);
      } else if (tag == DT_STRTAB) {
        strtabVaddr = value;
      } else if (tag == DT_SONAME) {
        sonameAt = value;
      } else if (tag == DT_RPATH) {
        rpathAt = value;
      } else if (tag == DT_RUNPATH) {
        runpathAt = value;
      }
    }
    if (strtabVaddr < 0) {
      throw new IOException(name + " has a dynamic section without a string table");
    }
    long strtab = fileOffset(loads, strtabVaddr, name);
    List<String> needed = new ArrayList<>();
    for (long at : neededAt) {
      needed.add(cString(buf, strtab + at, name));
    }
    long pathAt = runpathAt >= 0 ? runpathAt : rpathAt;
    List<String> runpath =
        pathAt < 0
            ? List.of()
            : List.of(cString(buf, strtab + pathAt, name).split(":")).stream()
                .filter(s -> !s.isEmpty())
                .toList();
    Optional<String> soname =
        sonameAt < 0 ? Optional.empty() : Optional.of(cString(buf, strtab + sonameAt, name));
    return new Elf(interpreter, needed, runpath, soname);
  }

  private static long fileOffset(List<long[]> loads, long vaddr, String name) throws IOException {
    for (long[] load : loads) {
      if (vaddr >= load[0] && vaddr < load[0] + load[2]) {
        return vaddr - load[0] + load[1];
      }
    }
    throw new IOException(name + ": address 0x" + Long.toHexString(vaddr) + " is in no segment");
  }

  private static int checkedOffset(ByteBuffer buf, long offset, int length, String name)
      throws IOException {
    if (offset < 0 || offset + length > buf.limit()) {
      throw new IOException(name + " is truncated (offset " + offset + ")");
    }
    return (int) offset;
  }

  private static String cString(ByteBuffer buf, long offset, String name) throws IOException {
    int start = checkedOffset(buf, offset, 0, name);
    int end = start;
    while (end < buf.limit() && buf.get(end) != 0) {
      end++;
    }
    if (end == buf.limit()) {
      throw new IOException(name + " has an unterminated string at offset " + offset);
    }
    byte[] bytes = new byte[end - start];
    buf.get(start, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
