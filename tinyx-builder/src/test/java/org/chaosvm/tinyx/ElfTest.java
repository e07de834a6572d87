package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElfTest {
  @TempDir Path dir;

  @Test
  void readsInterpreterNeededRunpathAndSoname() throws IOException {
    Path file =
        new ElfWriter()
            .interpreter("/lib64/ld-linux-x86-64.so.2")
            .needs("libfoo.so.1", "libc.so.6")
            .runpath("$ORIGIN/../lib:/opt/lib")
            .soname("libapp.so.3")
            .write(dir.resolve("app"));
    Elf elf = Elf.read(file);
    assertEquals(Optional.of("/lib64/ld-linux-x86-64.so.2"), elf.interpreter());
    assertEquals(List.of("libfoo.so.1", "libc.so.6"), elf.needed());
    assertEquals(List.of("$ORIGIN/../lib", "/opt/lib"), elf.runpath());
    assertEquals(Optional.of("libapp.so.3"), elf.soname());
  }

  @Test
  void readsTheHostsOwnProgramsAsObjdumpShowsThem() throws IOException {
    Elf ls = Elf.read(Path.of("/usr/bin/ls"));
    assertEquals(Optional.of("/lib64/ld-linux-x86-64.so.2"), ls.interpreter());
    assertTrue(ls.needed().contains("libc.so.6"), ls.toString());
    Elf libc = Elf.read(Path.of("/lib/x86_64-linux-gnu/libc.so.6").toRealPath());
    assertEquals(Optional.of("libc.so.6"), libc.soname());
    Elf busybox = Elf.read(Path.of("/bin/busybox")); // busybox-static: no dynamic section
    assertTrue(busybox.needed().isEmpty() && busybox.interpreter().isEmpty(), busybox.toString());
  }

  @Test
  void refusesWhatIsNotA64BitElfFile() throws IOException {
    Path text = Files.writeString(dir.resolve("script"), "#!/bin/sh\necho hi\n");
    assertFalse(Elf.isElf(text));
    IOException e = assertThrows(IOException.class, () -> Elf.read(text));
    assertTrue(e.getMessage().contains("is not an ELF file"), e.getMessage());

    byte[] elf = new ElfWriter().needs("libc.so.6").bytes();
    Path truncated = dir.resolve("truncated");
    Files.write(truncated, java.util.Arrays.copyOf(elf, 100));
    assertTrue(Elf.isElf(truncated));
    e = assertThrows(IOException.class, () -> Elf.read(truncated));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }
}
