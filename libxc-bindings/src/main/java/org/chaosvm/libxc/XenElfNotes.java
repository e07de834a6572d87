package org.chaosvm.libxc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The Xen ELF notes of a PV kernel (xen/include/public/elfnote.h), read from the kernel as the
 * domain builder holds it after parsing ({@link PvBuild.Built#kernel}: a bzImage decompressed to
 * its ELF), so no file is read again: here only to tell which kernel a guest runs. Anything that is
 * not a 64-bit little-endian ELF image has none.
 */
public final class XenElfNotes {
  /** {@code XEN_ELFNOTE_GUEST_OS}: the guest's operating system, e.g. "linux", "GRUB". */
  static final int GUEST_OS = 6;

  private static final int PT_NOTE = 4;

  /** Notes are read from at most this many bytes of a segment (a kernel's are a few hundred). */
  private static final int MAX_NOTES = 64 * 1024;

  private XenElfNotes() {}

  /** The kernel's {@code XEN_ELFNOTE_GUEST_OS}, if it is an ELF image that has one. */
  public static Optional<String> guestOs(KernelImage kernel) {
    ByteBuffer header = read(kernel, 0, 64);
    if (header.remaining() < 64
        || header.getInt(0) != 0x464c457f // "\x7fELF" read little-endian
        || header.get(4) != 2 // ELFCLASS64
        || header.get(5) != 1) { // ELFDATA2LSB
      return Optional.empty();
    }
    long phoff = header.getLong(32);
    int phentsize = Short.toUnsignedInt(header.getShort(54));
    int phnum = Short.toUnsignedInt(header.getShort(56));
    for (int i = 0; i < phnum && phentsize >= 56; i++) {
      ByteBuffer ph = read(kernel, phoff + (long) i * phentsize, 56);
      if (ph.remaining() < 56 || ph.getInt(0) != PT_NOTE) {
        continue;
      }
      long offset = ph.getLong(8);
      int size = (int) Math.max(0, Math.min(ph.getLong(32), MAX_NOTES));
      Optional<String> found = find(read(kernel, offset, size), GUEST_OS);
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  /** The string of the first note "Xen" of {@code type} in a note segment. */
  static Optional<String> find(ByteBuffer notes, int type) {
    while (notes.remaining() >= 12) {
      int namesz = notes.getInt();
      int descsz = notes.getInt();
      int noteType = notes.getInt();
      if (namesz < 0 || descsz < 0 || namesz > notes.remaining()) {
        return Optional.empty();
      }
      byte[] name = new byte[namesz];
      notes.get(name);
      skipPadding(notes, namesz);
      if (descsz > notes.remaining()) {
        return Optional.empty();
      }
      byte[] desc = new byte[descsz];
      notes.get(desc);
      skipPadding(notes, descsz);
      if (noteType == type && new String(name, StandardCharsets.US_ASCII).equals("Xen\0")) {
        int end = 0;
        while (end < desc.length && desc[end] != 0) {
          end++;
        }
        return Optional.of(new String(desc, 0, end, StandardCharsets.US_ASCII));
      }
    }
    return Optional.empty();
  }

  private static void skipPadding(ByteBuffer notes, int size) {
    int padding = (4 - size % 4) % 4;
    notes.position(Math.min(notes.limit(), notes.position() + padding));
  }

  /** Up to {@code size} bytes of the image from {@code offset}: fewer past its end, none before. */
  private static ByteBuffer read(KernelImage kernel, long offset, int size) {
    long available = offset < 0 || offset > kernel.size() ? 0 : kernel.size() - offset;
    byte[] bytes = new byte[(int) Math.min(size, available)];
    if (bytes.length > 0) {
      kernel.memory().get(offset, bytes, 0, bytes.length);
    }
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }
}
