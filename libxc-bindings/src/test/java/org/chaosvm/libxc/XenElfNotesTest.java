package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class XenElfNotesTest {
  /** A 64-bit ELF image with one PT_NOTE segment holding these Xen notes: type, string. */
  private static KernelImage elf(Object... notes) {
    return KernelImage.of(elfBytes(notes));
  }

  private static byte[] elfBytes(Object... notes) {
    ByteBuffer note = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < notes.length; i += 2) {
      byte[] desc = (notes[i + 1] + "\0").getBytes(StandardCharsets.US_ASCII);
      note.putInt(4).putInt(desc.length).putInt((Integer) notes[i]);
      note.put("Xen\0".getBytes(StandardCharsets.US_ASCII));
      note.put(desc);
      note.position((note.position() + 3) & ~3);
    }
    int size = note.position();
    ByteBuffer file = ByteBuffer.allocate(120 + size).order(ByteOrder.LITTLE_ENDIAN);
    file.putInt(0x464c457f).put((byte) 2).put((byte) 1);
    file.putLong(32, 64).putShort(54, (short) 56).putShort(56, (short) 1);
    file.putInt(64, 4).putLong(64 + 8, 120).putLong(64 + 32, size);
    file.put(120, note.array(), 0, size);
    return file.array();
  }

  @Test
  void pvGrub2TellsItselfByItsGuestOsNote() {
    assertEquals(Optional.of("GRUB"), XenElfNotes.guestOs(elf(5, "xen-3.0", 6, "GRUB")));
    assertEquals(Optional.of("linux"), XenElfNotes.guestOs(elf(6, "linux")));
  }

  @Test
  void anImageWithoutTheNoteOrNotAnElfOrCutShortHasNone() {
    assertEquals(Optional.empty(), XenElfNotes.guestOs(elf(5, "xen-3.0")));
    KernelImage bzImage = KernelImage.of(new byte[] {0x4d, 0x5a, 0, 0});
    assertEquals(Optional.empty(), XenElfNotes.guestOs(bzImage));
    byte[] cut = Arrays.copyOf(elfBytes(5, "xen-3.0", 6, "GRUB"), 130);
    assertEquals(Optional.empty(), XenElfNotes.guestOs(KernelImage.of(cut)));
  }
}
