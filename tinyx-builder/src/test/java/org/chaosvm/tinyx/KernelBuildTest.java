package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The small kernel's configure, check, build and cache, against a stand-in source tree whose
 * Makefile plays kbuild's part: {@code allnoconfig} writes the .config from {@code
 * KCONFIG_ALLCONFIG} but for an unknown symbol and one whose dependencies are not met, as kconfig
 * drops them, {@code bzImage} counts its runs and fails when asked to. The real build is shown in
 * the rig (TinyxE2ETest boots the kernels it builds).
 */
class KernelBuildTest {
  private static final String SOURCE = "linux-source-9.9";
  private static final String VERSION = "9.9.1-1";

  @TempDir Path cache;
  private Path src;
  private final StringWriter out = new StringWriter();

  @BeforeEach
  void fakeSource() throws IOException {
    src = cache.resolve("kernel/src/" + SOURCE + "_" + VERSION);
    Files.createDirectories(src);
    Files.writeString(src.resolve(".tinyx-done"), "");
    Files.writeString(
        src.resolve("Kconfig"),
        "config XEN_PV\n\tbool\nmenuconfig NET\n\tbool\nconfig NEEDS_FOO\n\tbool\nconfig FAIL\n"
            + "\tbool\n");
    for (String fragment :
        List.of(
            "kernel/configs/tiny-base.config",
            "kernel/configs/tiny.config",
            "arch/x86/configs/tiny.config")) {
      Files.createDirectories(src.resolve(fragment).getParent());
      Files.writeString(src.resolve(fragment), "CONFIG_EMBEDDED=y\n");
    }
    Files.writeString(
        src.resolve("Makefile"),
        """
        allnoconfig:
        \tgrep -v -e '^CONFIG_NEEDS_FOO=' -e '^CONFIG_NO_SUCH=' $(KCONFIG_ALLCONFIG) > $(O)/.config
        bzImage:
        \techo run >> $(O)/runs
        \techo '  CC      kernel/fork.o'
        \t! grep -q '^CONFIG_FAIL=y' $(O)/.config
        \tmkdir -p $(O)/arch/x86/boot $(O)/include/config
        \tcat $(O)/.config > $(O)/arch/x86/boot/bzImage
        \techo 9.9.1 > $(O)/include/config/kernel.release
        """);
  }

  private KernelBuild build() {
    Apt apt = new Apt();
    return new KernelBuild(
        cache,
        apt,
        new PackageStore(cache, apt),
        new Progress(new PrintWriter(out, true), 1),
        1,
        Map.of(),
        new KernelPatches(List.of()));
  }

  private static KernelConfig config(String... extra) {
    Spec spec =
        new Spec(
            "app",
            List.of(),
            "app",
            List.of(),
            List.of(),
            Map.of(),
            "/",
            0,
            1,
            List.of(),
            new Spec.KernelSpec(true, SOURCE, List.of(extra), Optional.empty(), List.of()),
            false,
            false,
            "xenbr0",
            Optional.empty(),
            Optional.empty(),
            Path.of("out"),
            Optional.empty(),
            Optional.empty());
    return KernelConfig.of(spec, List.of());
  }

  private Path buildDir() {
    return cache.resolve("kernel/build/" + SOURCE + "_" + VERSION);
  }

  @Test
  void aKernelIsBuiltOnceAndThenTakenFromTheCache() throws IOException {
    KernelBuild.Result first = build().build(SOURCE, VERSION, config());
    assertFalse(first.cached());
    assertEquals("9.9.1", first.release());
    String image = Files.readString(first.image());
    assertTrue(image.contains("CONFIG_EMBEDDED=y\n"), image); // tinyconfig's fragments
    assertTrue(image.contains("CONFIG_XEN_PV=y\n"), image); // and tinyx's
    assertTrue(out.toString().contains("bzImage built: 1 files compiled"), out.toString());

    KernelBuild.Result again = build().build(SOURCE, VERSION, config());
    assertTrue(again.cached());
    assertEquals(first.image(), again.image());
    assertEquals(1, Files.readAllLines(buildDir().resolve("runs")).size());
  }

  @Test
  void aSymbolThatDoesNotExistOrDoesNotHoldFailsAndKeepsTheKernelsBuilt() throws IOException {
    KernelBuild.Result good = build().build(SOURCE, VERSION, config());
    IOException unknown =
        assertThrows(
            IOException.class, () -> build().build(SOURCE, VERSION, config("CONFIG_NO_SUCH=y")));
    assertEquals(
        "the kernel's configuration: CONFIG_NO_SUCH does not exist in " + SOURCE + " " + VERSION,
        unknown.getMessage());
    IOException unmet =
        assertThrows(
            IOException.class, () -> build().build(SOURCE, VERSION, config("CONFIG_NEEDS_FOO=y")));
    assertTrue(
        unmet
            .getMessage()
            .contains(
                "CONFIG_NEEDS_FOO=y does not hold (the result has no value:"
                    + " its dependencies are not met)"),
        unmet.getMessage());

    IOException failed =
        assertThrows(
            IOException.class, () -> build().build(SOURCE, VERSION, config("CONFIG_FAIL=y")));
    assertTrue(
        failed.getMessage().contains("make -j1 O=")
            && failed.getMessage().contains("exited with status 2"),
        failed.getMessage());
    assertTrue(failed.getMessage().contains("whole output: "), failed.getMessage());

    KernelBuild.Result still = build().build(SOURCE, VERSION, config());
    assertTrue(still.cached());
    assertEquals(good.image(), still.image());
    try (var images = Files.list(cache.resolve("kernel/images"))) {
      assertEquals(1, images.count()); // nothing of the failed builds
    }
  }

  @Test
  void missingBuildToolsAreNamedWithTheirPackages() {
    Apt apt = new Apt();
    KernelBuild build =
        new KernelBuild(
            cache,
            apt,
            new PackageStore(cache, apt),
            new Progress(new PrintWriter(out, true), 1),
            1,
            Map.of("/nonexistent/libelf.h", "libelf-dev", "/nonexistent/flex", "flex"),
            new KernelPatches(List.of()));
    IOException e = assertThrows(IOException.class, () -> build.build(SOURCE, VERSION, config()));
    assertTrue(
        e.getMessage().startsWith("building the kernel needs flex, libelf-dev"), e.getMessage());
  }
}
