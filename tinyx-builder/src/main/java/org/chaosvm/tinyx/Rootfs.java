package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Chooses the image's files from the unpacked packages. Each package brings all its files but
 * documentation, service-manager glue and glibc's iconv modules ({@link #LEFT_OUT_PATHS}), except
 * that the shared libraries of a dependency (ELF files in the multiarch library folder) come only
 * when an ELF file in the image needs them ({@code DT_NEEDED}, or its interpreter), so a library
 * package that nothing needs is left out whole. Libraries are looked up as the dynamic linker does
 * without a cache: {@code DT_RUNPATH} (with {@code $ORIGIN}), then the system folders. A library
 * needed but found nowhere fails the build, naming both files. Likewise a dependency's programs (in
 * {@code /usr/bin} and {@code /usr/sbin}) come only when the command is one of them or a link in
 * the image leads to one: {@code redis-server} brings {@code redis-check-rdb}, its link's target,
 * but not {@code redis-cli} nor {@code redis-benchmark}. The programs left out are listed.
 */
final class Rootfs {

  /** Folders (merged-/usr form) of a package that a one-application VM does not use. */
  static final List<String> LEFT_OUT_PATHS =
      List.of(
          "/usr/share/doc",
          "/usr/share/doc-base",
          "/usr/share/man",
          "/usr/share/info",
          "/usr/share/locale",
          "/usr/share/lintian",
          "/usr/share/bug",
          "/usr/share/menu",
          "/usr/share/bash-completion",
          "/usr/share/zsh",
          "/usr/share/common-licenses",
          "/usr/share/apport",
          "/etc/init.d",
          "/etc/init",
          "/etc/systemd",
          "/usr/lib/systemd",
          "/usr/lib/tmpfiles.d",
          "/usr/lib/sysusers.d",
          "/etc/logrotate.d",
          "/etc/cron.d",
          "/etc/cron.daily",
          "/etc/cron.weekly",
          // glibc's iconv modules, loaded by iconv_open() alone (8 MiB of libc6's 12)
          "/usr/lib/x86_64-linux-gnu/gconv");

  /** Where the dynamic linker looks when there is no ld.so.cache (Debian's multiarch layout). */
  static final List<String> SYSTEM_LIBRARY_DIRS =
      List.of("/usr/lib/x86_64-linux-gnu", "/usr/lib", "/usr/lib64");

  private static final String MULTIARCH = "/usr/lib/x86_64-linux-gnu/";

  /** A package's unpacked files and why it is in the closure. */
  record Source(String name, Path dir, String reason, boolean required) {}

  /** Where a command's program named without a folder is looked for, in PATH's order. */
  static final List<String> PROGRAM_DIRS = List.of("/usr/local/bin", "/usr/sbin", "/usr/bin");

  /**
   * What was chosen: the packages with their reasons, the ones left out, the library edges, and the
   * dependencies' programs left out (path, package).
   */
  record Selection(
      Map<String, String> included,
      Map<String, String> leftOut,
      List<String> libraryEdges,
      Map<String, String> programsLeftOut) {}

  private final FileTree tree;
  private final Map<String, String> included = new LinkedHashMap<>();
  private final Map<String, String> leftOut = new LinkedHashMap<>();
  private final List<String> edges = new ArrayList<>();

  Rootfs(FileTree tree) {
    this.tree = tree;
  }

  static boolean leftOutPath(String canonical) {
    for (String p : LEFT_OUT_PATHS) {
      if (canonical.equals(p) || canonical.startsWith(p + "/")) {
        return true;
      }
    }
    return false;
  }

  /** The package's files (paths in the image, merged-/usr form) and their host paths. */
  static Map<String, Path> files(Path dir) throws IOException {
    Map<String, Path> files = new LinkedHashMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path host : walk.sorted().toList()) {
        if (host.equals(dir) || host.getFileName().toString().equals(".tinyx-unpacked")) {
          continue;
        }
        String image = FileTree.canonical("/" + dir.relativize(host));
        if (!leftOutPath(image)) {
          files.put(image, host);
        }
      }
    }
    return files;
  }

  /**
   * Whether a file is a shared library that the dynamic linker finds by name: a link or an ELF file
   * named {@code *.so*} directly in the multiarch folder.
   */
  static boolean isLibraryFile(String image, Path host) throws IOException {
    String name = image.substring(image.lastIndexOf('/') + 1);
    return image.equals(MULTIARCH + name)
        && name.contains(".so")
        && (Files.isSymbolicLink(host) || Elf.isElf(host));
  }

  /** A library file of a package, waiting until an ELF file needs it. */
  private record Candidate(String pkg, Path host, String reason) {}

  /**
   * Whether a file is a program: a file or link directly in {@code /usr/bin} or {@code /usr/sbin}.
   */
  static boolean isProgramFile(String image, Path host) {
    String folder = image.substring(0, image.lastIndexOf('/'));
    return (folder.equals("/usr/bin") || folder.equals("/usr/sbin"))
        && !Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Adds the packages' files to the tree: the required packages whole; of the others, every file
   * but their shared libraries, which come as ELF files need them, and their programs, which come
   * when the command or a link leads to them.
   *
   * @param program the command's program (a path, or a name looked up in {@link #PROGRAM_DIRS}), or
   *     null
   * @throws IOException when an ELF file needs a library no package provides
   */
  Selection select(List<Source> sources, String program) throws IOException {
    Map<String, Candidate> candidates = new LinkedHashMap<>();
    Map<String, Candidate> programs = new LinkedHashMap<>();
    Map<String, String> packageReasons = new LinkedHashMap<>();
    for (Source source : sources) {
      packageReasons.put(source.name(), source.reason());
      for (Map.Entry<String, Path> f : files(source.dir()).entrySet()) {
        if (!source.required() && isLibraryFile(f.getKey(), f.getValue())) {
          candidates.putIfAbsent(
              f.getKey(), new Candidate(source.name(), f.getValue(), source.reason()));
        } else if (!source.required() && isProgramFile(f.getKey(), f.getValue())) {
          programs.putIfAbsent(
              f.getKey(), new Candidate(source.name(), f.getValue(), source.reason()));
        } else {
          addFile(source.name(), f.getKey(), f.getValue(), source.reason());
        }
      }
    }
    takePrograms(programs, program);
    Set<String> scanned = new HashSet<>();
    List<String> unresolved = new ArrayList<>();
    boolean grew = true;
    while (grew) {
      grew = false;
      for (FileTree.Entry file : tree.files()) {
        if (!scanned.add(file.path()) || file.source() == null || !Elf.isElf(file.source())) {
          continue;
        }
        Elf elf;
        try {
          elf = Elf.read(file.source());
        } catch (IOException e) {
          continue; // not an ELF file the dynamic linker loads (firmware, object files)
        }
        if (elf.interpreter().isPresent()) {
          String interp = elf.interpreter().get();
          if (resolveOrTake(interp, candidates, interp + ", interpreter of " + file.path())
              .isEmpty()) {
            unresolved.add(file.path() + " needs its interpreter " + interp);
          }
        }
        for (String needed : elf.needed()) {
          Optional<String> found = Optional.empty();
          List<String> paths =
              needed.contains("/")
                  ? List.of(needed)
                  : searchDirs(file.path(), elf).stream().map(d -> d + "/" + needed).toList();
          for (String path : paths) {
            found = resolveOrTake(path, candidates, needed + " NEEDED by " + file.path());
            if (found.isPresent()) {
              break;
            }
          }
          if (found.isEmpty()) {
            unresolved.add(file.path() + " needs " + needed);
          } else {
            edges.add(file.path() + " -> " + needed);
          }
        }
        grew = true;
      }
    }
    if (!unresolved.isEmpty()) {
      throw new IOException(
          "libraries found in no package of the image (add the package that has them with"
              + " --package): "
              + String.join("; ", unresolved));
    }
    for (Map.Entry<String, String> p : packageReasons.entrySet()) {
      if (!included.containsKey(p.getKey())) {
        leftOut.put(p.getKey(), p.getValue() + ", but no file of the image needs its libraries");
      }
    }
    Map<String, String> ordered = new LinkedHashMap<>();
    for (String name : packageReasons.keySet()) {
      if (included.containsKey(name)) {
        ordered.put(name, included.get(name));
      }
    }
    Map<String, String> programsLeftOut = new LinkedHashMap<>();
    programs.forEach((path, c) -> programsLeftOut.put(path, c.pkg()));
    return new Selection(ordered, leftOut, edges, programsLeftOut);
  }

  /**
   * Takes the dependencies' programs that the command is, or that links in the tree lead to (a
   * program taken may be a link itself: the loop goes on until nothing new is taken).
   */
  private void takePrograms(Map<String, Candidate> programs, String program) throws IOException {
    if (program != null) {
      List<String> paths =
          program.contains("/")
              ? List.of(program)
              : PROGRAM_DIRS.stream().map(d -> d + "/" + program).toList();
      for (String path : paths) {
        if (resolveOrTake(path, programs, "the command's program").isPresent()) {
          break;
        }
      }
    }
    boolean grew = true;
    while (grew && !programs.isEmpty()) {
      grew = false;
      for (FileTree.Entry link : tree.entries()) {
        if (link.type() == FileTree.Type.SYMLINK) {
          int before = programs.size();
          resolveOrTake(link.path(), programs, "the target of " + link.path());
          grew |= programs.size() < before;
        }
      }
    }
  }

  private void addFile(String pkg, String image, Path host, String reason) throws IOException {
    if (tree.addHost(image, host, pkg) && !Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
      included.putIfAbsent(pkg, reason);
    }
  }

  /**
   * The file a path leads to, following links; a library file on the way that the tree lacks is
   * taken from the candidates (with the reason for its package).
   */
  private Optional<String> resolveOrTake(String path, Map<String, Candidate> candidates, String why)
      throws IOException {
    String p = FileTree.canonical(path);
    for (int hops = 0; hops < 40; hops++) {
      Optional<FileTree.Entry> e = tree.get(p);
      if (e.isEmpty()) {
        Candidate c = candidates.remove(p);
        if (c == null) {
          return Optional.empty();
        }
        addFile(c.pkg(), p, c.host(), why);
        continue;
      }
      if (e.get().type() != FileTree.Type.SYMLINK) {
        return Optional.of(p);
      }
      p = FileTree.canonical(Path.of(p).getParent().resolve(e.get().target()).toString());
    }
    return Optional.empty();
  }

  /** The folders the dynamic linker searches for the libraries of {@code path}. */
  static List<String> searchDirs(String path, Elf elf) {
    List<String> dirs = new ArrayList<>();
    for (String dir : elf.runpathDirs(Path.of(path).getParent().toString())) {
      dirs.add(FileTree.canonical(dir));
    }
    dirs.addAll(SYSTEM_LIBRARY_DIRS);
    return dirs;
  }
}
