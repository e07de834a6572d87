package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The small kernel's patches: the series in tinyx's jar, and how one is applied to a source tree
 * (here a stand-in; the rig builds and boots the real, patched source).
 */
class KernelPatchesTest {
  @TempDir Path src;

  private static final String PATCH =
      """
      From: test
      Subject: [PATCH] greet the world

      ---
      --- a/hello.c
      +++ b/hello.c
      @@ -1,2 +1,2 @@
       int main(void)
      -{ return 0; }
      +{ return 42; }
      """;

  @Test
  void theJarCarriesTheSeriesInOrderWithTheirSubjects() throws IOException {
    KernelPatches bundled = KernelPatches.bundled();
    assertEquals(9, bundled.patches().size());
    assertTrue(bundled.patches().get(0).name().startsWith("0001-"));
    assertEquals(
        List.of(
            "x86: page-aligned kernel sections for a Xen PV guest",
            "x86/xen: a PV guest's CPU frequency is the TSC's",
            "initrd: load the RAM disk in 64 KiB chunks",
            "xen: noxs-front, a guest's noxs devices, built in",
            "x86/xen: no search for an MP table in a PV guest without SMP",
            "xen/xenbus: look for the boot's devices every 10 ms, not 100",
            "initrd: the RAM disk takes the initrd's pages in place",
            "xen/xenbus: the boot waits for no network device",
            "x86/mm: the kernel's freed init memory is not poisoned",
            "added: drivers/xen/noxs-front (chaos's noxs-front, built in with --noxs)"),
        bundled.subjects());
    for (KernelPatches.Patch p : bundled.patches()) {
      assertTrue(p.text().contains("SPDX-License-Identifier: GPL-2.0-only"), p.name());
    }
  }

  @Test
  void theJarCarriesNoxsFrontWithItsHeadersForDriversXen() throws IOException {
    Map<String, String> added = new java.util.TreeMap<>();
    KernelPatches.bundled().added().forEach(f -> added.put(f.path(), f.text()));
    assertEquals(
        List.of(
            "drivers/xen/noxs-front/Kbuild",
            "drivers/xen/noxs-front/noxs-front.c",
            "drivers/xen/noxs-front/noxs-public/devctl.h",
            "drivers/xen/noxs-front/noxs-public/io/noxs.h",
            "drivers/xen/noxs-front/noxs-public/xen.h"),
        List.copyOf(added.keySet()));
    assertTrue(added.get("drivers/xen/noxs-front/Kbuild").contains("obj-$(CONFIG_XEN_NOXS_FRONT)"));
    assertTrue(added.get("drivers/xen/noxs-front/noxs-public/io/noxs.h").contains("noxs_vif_page"));
  }

  @Test
  void filesAreAddedAfterThePatchesAndMakeTheDigest() throws IOException {
    Files.writeString(src.resolve("hello.c"), "int main(void)\n{ return 0; }\n");
    KernelPatches.AddedFile file = new KernelPatches.AddedFile("drivers/x/x.c", "int x;\n");
    KernelPatches patches =
        new KernelPatches(List.of(new KernelPatches.Patch("0001-x", PATCH)), List.of(file));
    patches.apply(src, "linux-source-9.9 9.9.1-1");
    assertEquals("int x;\n", Files.readString(src.resolve("drivers/x/x.c")));
    assertNotEquals(patches.digest(), new KernelPatches(patches.patches()).digest());
    KernelPatches again = new KernelPatches(List.of(), List.of(file));
    IOException e =
        assertThrows(IOException.class, () -> again.apply(src, "linux-source-9.9 9.9.1-1"));
    assertTrue(e.getMessage().contains("has drivers/x/x.c already"), e.getMessage());
  }

  @Test
  void aPatchAppliesToTheTreeAndItsTextMakesTheDigest() throws IOException {
    Files.writeString(src.resolve("hello.c"), "int main(void)\n{ return 0; }\n");
    KernelPatches patches = new KernelPatches(List.of(new KernelPatches.Patch("0001-x", PATCH)));
    patches.apply(src, "linux-source-9.9 9.9.1-1");
    assertEquals("int main(void)\n{ return 42; }\n", Files.readString(src.resolve("hello.c")));
    assertEquals(List.of("greet the world"), patches.subjects());
    KernelPatches other =
        new KernelPatches(List.of(new KernelPatches.Patch("0001-x", PATCH.replace("42", "43"))));
    assertNotEquals(patches.digest(), other.digest());
    assertEquals(patches.digest(), new KernelPatches(patches.patches()).digest());
  }

  @Test
  void aPatchThatDoesNotApplyIsNamedWithTheSource() throws IOException {
    Files.writeString(src.resolve("hello.c"), "int main(void)\n{ return 1; }\n");
    KernelPatches patches = new KernelPatches(List.of(new KernelPatches.Patch("0001-x", PATCH)));
    IOException e =
        assertThrows(IOException.class, () -> patches.apply(src, "linux-source-9.9 9.9.1-1"));
    assertTrue(
        e.getMessage().startsWith("0001-x does not apply to linux-source-9.9 9.9.1-1: "),
        e.getMessage());
  }
}
