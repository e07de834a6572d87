package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing the image's files from unpacked packages, with synthetic ELF files. */
class RootfsTest {
  private static final String INTERP = "/lib64/ld-linux-x86-64.so.2";
  private static final String MULTIARCH = "lib/x86_64-linux-gnu/";

  @TempDir Path dir;

  private Path pkg(String name) {
    return dir.resolve(name);
  }

  private void lib(String pkg, String soname, String file, String... needs) throws IOException {
    new ElfWriter().soname(soname).needs(needs).write(pkg(pkg).resolve("usr/" + MULTIARCH + file));
    Files.createSymbolicLink(pkg(pkg).resolve("usr/" + MULTIARCH + soname), Path.of(file));
  }

  /** An application, libc (a loader and two libraries), two libraries, one of them unused. */
  private List<Rootfs.Source> packages() throws IOException {
    new ElfWriter()
        .interpreter(INTERP)
        .needs("libfoo.so.1", "libc.so.6")
        .write(pkg("app").resolve("usr/bin/app"));
    Files.createDirectories(pkg("app").resolve("usr/share/doc/app"));
    Files.writeString(pkg("app").resolve("usr/share/doc/app/README"), "docs");
    Files.createDirectories(pkg("app").resolve("etc/app"));
    Files.writeString(pkg("app").resolve("etc/app/app.conf"), "port = 1\n");

    new ElfWriter()
        .soname("ld-linux-x86-64.so.2")
        .write(pkg("libc6").resolve(MULTIARCH + "ld-linux-x86-64.so.2"));
    Files.createDirectories(pkg("libc6").resolve("lib64"));
    Files.createSymbolicLink(
        pkg("libc6").resolve("lib64/ld-linux-x86-64.so.2"),
        Path.of("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
    new ElfWriter()
        .soname("libc.so.6")
        .needs("ld-linux-x86-64.so.2")
        .write(pkg("libc6").resolve(MULTIARCH + "libc.so.6"));
    new ElfWriter()
        .soname("libm.so.6")
        .needs("libc.so.6")
        .write(pkg("libc6").resolve(MULTIARCH + "libm.so.6"));
    Files.createDirectories(pkg("libc6").resolve("etc/ld.so.conf.d"));
    Files.writeString(
        pkg("libc6").resolve("etc/ld.so.conf.d/x86_64-linux-gnu.conf"), "/usr/local/lib\n");
    Files.createDirectories(pkg("libc6").resolve("usr/lib/x86_64-linux-gnu/gconv"));
    Files.writeString(pkg("libc6").resolve("usr/lib/x86_64-linux-gnu/gconv/UTF-16.so"), "iconv");

    lib("libfoo1", "libfoo.so.1", "libfoo.so.1.2.3", "libbar.so.2", "libc.so.6");
    lib("libbar2", "libbar.so.2", "libbar.so.2.0.0", "libc.so.6");
    lib("libunused0", "libunused.so.0", "libunused.so.0.1");
    return List.of(
        new Rootfs.Source("app", pkg("app"), "the application", true),
        new Rootfs.Source("libc6", pkg("libc6"), "Depends of app", false),
        new Rootfs.Source("libfoo1", pkg("libfoo1"), "Depends of app", false),
        new Rootfs.Source("libbar2", pkg("libbar2"), "Depends of libfoo1", false),
        new Rootfs.Source("libunused0", pkg("libunused0"), "Depends of app", false));
  }

  @Test
  void librariesComeAsElfFilesNeedThemAndTheRestOfEachPackageWhole() throws IOException {
    FileTree tree = new FileTree();
    Rootfs.Selection selection = new Rootfs(tree).select(packages(), null);

    assertEquals(
        List.of("app", "libc6", "libfoo1", "libbar2"), List.copyOf(selection.included().keySet()));
    assertEquals(
        "libbar.so.2 NEEDED by /usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3",
        selection.included().get("libbar2"));
    assertEquals(
        "Depends of app, but no file of the image needs its libraries",
        selection.leftOut().get("libunused0"));

    assertTrue(tree.resolve("/usr/bin/app").isPresent());
    assertTrue(tree.resolve("/etc/app/app.conf").isPresent());
    assertTrue(tree.resolve(INTERP).isPresent(), "the interpreter, through /lib64 and its link");
    assertTrue(tree.resolve("/lib/x86_64-linux-gnu/libfoo.so.1").isPresent());
    assertTrue(tree.contains("/etc/ld.so.conf.d/x86_64-linux-gnu.conf"), "libc6's other files");
    assertFalse(tree.contains("/usr/lib/x86_64-linux-gnu/libm.so.6"), "a library nothing needs");
    assertFalse(tree.contains("/usr/share/doc/app/README"), "documentation");
    assertFalse(tree.contains("/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so"), "iconv modules");
    assertTrue(
        selection.libraryEdges().contains("/usr/bin/app -> libfoo.so.1"),
        selection.libraryEdges().toString());
  }

  /**
   * As redis: the application's program is a link into a dependency (redis-tools), which has other
   * programs the command never runs.
   */
  @Test
  void aDependencysProgramsComeWhenTheCommandOrALinkLeadsToThem() throws IOException {
    List<Rootfs.Source> sources = new java.util.ArrayList<>(packages());
    Files.createDirectories(pkg("server").resolve("usr/bin"));
    Files.createSymbolicLink(pkg("server").resolve("usr/bin/server"), Path.of("check"));
    new ElfWriter()
        .interpreter(INTERP)
        .needs("libc.so.6")
        .write(pkg("tools").resolve("usr/bin/check"));
    new ElfWriter()
        .interpreter(INTERP)
        .needs("libfoo.so.1")
        .write(pkg("tools").resolve("usr/bin/cli"));
    new ElfWriter().interpreter(INTERP).write(pkg("tools").resolve("usr/sbin/toolctl"));
    Files.createDirectories(pkg("tools").resolve("usr/share/tools"));
    Files.writeString(pkg("tools").resolve("usr/share/tools/data"), "data");
    sources.add(new Rootfs.Source("server", pkg("server"), "asked for", true));
    sources.add(new Rootfs.Source("tools", pkg("tools"), "Depends of server", false));

    FileTree tree = new FileTree();
    Rootfs.Selection selection = new Rootfs(tree).select(sources, "toolctl");
    assertTrue(tree.contains("/usr/bin/check"), "the link's target");
    assertTrue(tree.contains("/usr/sbin/toolctl"), "the command's program, looked up in PATH");
    assertFalse(tree.contains("/usr/bin/cli"), "a program nothing runs");
    assertTrue(tree.contains("/usr/share/tools/data"), "the package's other files");
    assertEquals(java.util.Map.of("/usr/bin/cli", "tools"), selection.programsLeftOut());
    assertTrue(tree.contains("/usr/bin/app"), "the application's own programs, whole");

    FileTree without = new FileTree();
    new Rootfs(without).select(sources, "/usr/bin/server");
    assertFalse(without.contains("/usr/sbin/toolctl"));
    assertTrue(without.contains("/usr/bin/check"));
  }

  @Test
  void runpathWithOriginIsSearchedBeforeTheSystemFolders() throws IOException {
    List<Rootfs.Source> sources = new java.util.ArrayList<>(packages());
    new ElfWriter()
        .interpreter(INTERP)
        .needs("libprivate.so", "libc.so.6")
        .runpath("$ORIGIN/../lib/tool")
        .write(pkg("tool").resolve("usr/bin/tool"));
    new ElfWriter()
        .soname("libprivate.so")
        .write(pkg("tool").resolve("usr/lib/tool/libprivate.so"));
    sources.add(new Rootfs.Source("tool", pkg("tool"), "asked for", true));
    FileTree tree = new FileTree();
    Rootfs.Selection selection = new Rootfs(tree).select(sources, null);
    assertTrue(selection.libraryEdges().contains("/usr/bin/tool -> libprivate.so"));
    assertEquals(
        List.of("/usr/lib/tool", "/usr/lib/x86_64-linux-gnu", "/usr/lib", "/usr/lib64"),
        Rootfs.searchDirs("/usr/bin/tool", Elf.read(pkg("tool").resolve("usr/bin/tool"))));
  }

  @Test
  void aLibraryNoPackageHasFailsTheBuildNamingBothFiles() throws IOException {
    List<Rootfs.Source> sources = new java.util.ArrayList<>(packages());
    new ElfWriter()
        .interpreter(INTERP)
        .needs("libmissing.so.9")
        .write(pkg("broken").resolve("usr/bin/broken"));
    sources.add(new Rootfs.Source("broken", pkg("broken"), "asked for", true));
    IOException e =
        assertThrows(IOException.class, () -> new Rootfs(new FileTree()).select(sources, null));
    assertTrue(e.getMessage().contains("/usr/bin/broken needs libmissing.so.9"), e.getMessage());
    assertTrue(e.getMessage().contains("--package"), e.getMessage());
  }

  @Test
  void pathsAreKeptInMergedUsrForm() {
    assertEquals(
        "/usr/lib/x86_64-linux-gnu/libc.so.6",
        FileTree.canonical("/lib/x86_64-linux-gnu/libc.so.6"));
    assertEquals("/usr/bin/sh", FileTree.canonical("/bin/./sh"));
    assertEquals("/usr/lib64/ld-linux-x86-64.so.2", FileTree.canonical(INTERP));
    assertEquals("/libexec/x", FileTree.canonical("/libexec/x"));
  }
}
