package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The byte code of the image's Python modules, compiled when the image is built. On a Debian system
 * the packages' postinsts compile it at install ({@code py3compile}); tinyx runs no postinst, so
 * without this step every start of a VM's Python compiles each module it imports from its source,
 * and writes the result to the overlay's memory. Under TCG that was about 0.6 s of the Python
 * example's 1.7 s from its start to its last line (docs/tinyx.md).
 *
 * <p>Each interpreter of the image ({@code /usr/bin/python3.N}) compiles its own standard library
 * and {@code /usr/lib/python3/dist-packages}: it runs on the build host through the image's own
 * dynamic linker and libraries, from the tree laid out in a folder, so the byte code is the image's
 * Python's whatever the host has. The files are {@code unchecked-hash} .pyc files (PEP 552): the
 * image is read-only and its times are 0, so Python uses them without looking at the sources'
 * times. They name their sources by their paths in the image. A module that does not compile is
 * left to be compiled at import, as {@code py3compile} leaves it, and is counted.
 */
final class PythonBytecode {
  /** An interpreter of the image and its version. */
  private static final Pattern INTERPRETER = Pattern.compile("/usr/bin/python(3\\.[0-9]+)");

  /** Where Debian's Python packages keep modules, beside the standard library. */
  private static final String DIST_PACKAGES = "/usr/lib/python3/dist-packages";

  /** Run by the image's interpreter: ROOT DIR...: compiles each folder's modules. */
  static final String COMPILE =
      """
      import compileall, py_compile, sys
      root = sys.argv[1]
      for folder in sys.argv[2:]:
          compileall.compile_dir(folder, quiet=1, stripdir=root, prependdir="/", workers=0,
              invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
      """;

  /** What one interpreter compiled. */
  record Compiled(String version, int files, long bytes, int failed) {
    @Override
    public String toString() {
      return String.format(
          "python%s: %d modules byte-compiled (%s)%s",
          version,
          files,
          Report.size(bytes),
          failed == 0 ? "" : ", " + failed + " did not compile (left to compile at import)");
    }
  }

  private PythonBytecode() {}

  /**
   * Adds the byte code of each interpreter's modules to the tree, laid out under {@code work} for
   * the compile (a folder that must not exist; removed after).
   */
  static List<Compiled> addTo(FileTree tree, Path work) throws IOException {
    List<FileTree.Entry> interpreters =
        tree.files().stream().filter(e -> INTERPRETER.matcher(e.path()).matches()).toList();
    if (interpreters.isEmpty()) {
      return List.of();
    }
    List<Compiled> compiled = new ArrayList<>();
    try {
      tree.layOut(work);
      for (FileTree.Entry python : interpreters) {
        Matcher m = INTERPRETER.matcher(python.path());
        m.matches();
        compiled.add(compile(tree, work, python, m.group(1)));
      }
    } finally {
      PackageStore.deleteTree(work);
    }
    return compiled;
  }

  private static Compiled compile(FileTree tree, Path root, FileTree.Entry python, String version)
      throws IOException {
    List<String> folders = new ArrayList<>();
    for (String folder : List.of("/usr/lib/python" + version, DIST_PACKAGES)) {
      if (tree.get(folder).filter(e -> e.type() == FileTree.Type.DIRECTORY).isPresent()) {
        folders.add(staged(root, folder).toString());
      }
    }
    if (folders.isEmpty()) {
      return new Compiled(version, 0, 0, 0);
    }
    List<String> command = new ArrayList<>(List.of("env", "-i"));
    command.add("PYTHONHOME=" + staged(root, "/usr"));
    command.add("LC_ALL=C.UTF-8");
    command.addAll(runner(tree, root, python));
    command.addAll(List.of("-S", "-B", "-c", COMPILE, root.toString()));
    command.addAll(folders);
    String out = Processes.run(null, command);
    int failed = (int) out.lines().filter(l -> l.startsWith("*** Error compiling")).count();
    int files = 0;
    long bytes = 0;
    String origin = "byte code of python" + version + "'s modules (compiled by tinyx)";
    for (String folder : folders) {
      List<Path> pycs;
      try (Stream<Path> walk = Files.walk(Path.of(folder))) {
        pycs =
            walk.filter(p -> p.getParent().getFileName().toString().equals("__pycache__"))
                .filter(p -> p.getFileName().toString().endsWith(".pyc"))
                .sorted()
                .toList();
      }
      for (Path pyc : pycs) {
        byte[] content = Files.readAllBytes(pyc);
        String path = "/" + root.relativize(pyc);
        if (tree.add(
            new FileTree.Entry(
                path, FileTree.Type.FILE, 0644, null, content, null, 0, 0, origin))) {
          files++;
          bytes += content.length;
        }
      }
    }
    return new Compiled(version, files, bytes, failed);
  }

  /**
   * How to run the image's interpreter on the build host: through the image's dynamic linker, with
   * the image's libraries, when it has one; else as it is.
   */
  private static List<String> runner(FileTree tree, Path root, FileTree.Entry python)
      throws IOException {
    Path program = staged(root, python.path());
    Optional<String> interp =
        Elf.isElf(program) ? Elf.read(program).interpreter() : Optional.empty();
    if (interp.isEmpty()) {
      return List.of(program.toString());
    }
    FileTree.Entry loader =
        tree.resolve(interp.get())
            .orElseThrow(
                () ->
                    new IOException(
                        python.path()
                            + "'s dynamic linker "
                            + interp.get()
                            + " is not in the image"));
    String libraries =
        String.join(
            ":", Rootfs.SYSTEM_LIBRARY_DIRS.stream().map(d -> staged(root, d).toString()).toList());
    return List.of(
        staged(root, loader.path()).toString(), "--library-path", libraries, program.toString());
  }

  private static Path staged(Path root, String path) {
    return root.resolve(FileTree.canonical(path).substring(1));
  }
}
