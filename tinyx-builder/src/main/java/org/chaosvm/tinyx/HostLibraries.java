package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * For an application given as an executable of this machine: the libraries it needs (its {@code
 * DT_NEEDED}, recursively, looked up in this machine's library folders) and the Debian packages
 * that own them ({@code dpkg -S}), which then enter the package closure. A library no package owns
 * is copied from this machine as it is.
 */
final class HostLibraries {
  private static final List<String> HOST_DIRS =
      List.of(
          "/lib/x86_64-linux-gnu",
          "/usr/lib/x86_64-linux-gnu",
          "/lib64",
          "/usr/lib64",
          "/lib",
          "/usr/lib");

  private final Apt apt;

  HostLibraries(Apt apt) {
    this.apt = apt;
  }

  /**
   * Adds the owning packages of the executable's libraries to {@code roots} (with the reason) and
   * the libraries no package owns to {@code hostFiles} (path in the image to host file).
   */
  void resolve(Path executable, Map<String, String> roots, Map<String, Path> hostFiles)
      throws IOException {
    if (!Elf.isElf(executable)) {
      return; // a script: its interpreter's package is for --package to name
    }
    Deque<Path> todo = new ArrayDeque<>(List.of(executable));
    Set<Path> seen = new HashSet<>();
    List<String> missing = new ArrayList<>();
    while (!todo.isEmpty()) {
      Path file = todo.pop();
      if (!seen.add(file)) {
        continue;
      }
      Elf elf = Elf.read(file);
      List<String> wanted = new ArrayList<>(elf.needed());
      elf.interpreter().ifPresent(wanted::add);
      for (String needed : wanted) {
        Optional<Path> lib = find(file, elf, needed);
        if (lib.isEmpty()) {
          missing.add(file + " needs " + needed);
          continue;
        }
        Optional<String> owner = owner(lib.get());
        String why = needed + " NEEDED by " + file;
        if (owner.isPresent()) {
          roots.putIfAbsent(owner.get(), "provides " + why);
        } else {
          hostFiles.putIfAbsent(FileTree.canonical(lib.get().toString()), lib.get().toRealPath());
        }
        todo.push(lib.get().toRealPath());
      }
    }
    if (!missing.isEmpty()) {
      throw new IOException("libraries not found on this machine: " + String.join("; ", missing));
    }
  }

  private static Optional<Path> find(Path file, Elf elf, String needed) {
    if (needed.startsWith("/")) {
      return Optional.of(Path.of(needed)).filter(Files::exists);
    }
    List<String> dirs = new ArrayList<>(elf.runpathDirs(file.getParent().toString()));
    dirs.addAll(HOST_DIRS);
    for (String dir : dirs) {
      Path p = Path.of(dir, needed);
      if (Files.exists(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** The owner of a host file, asked under each name dpkg may know it by (merged /usr or not). */
  private Optional<String> owner(Path lib) throws IOException {
    List<Path> names = new ArrayList<>(List.of(lib, lib.toRealPath()));
    for (Path p : List.copyOf(names)) {
      String s = p.toString();
      names.add(Path.of(s.startsWith("/usr/") ? s.substring(4) : "/usr" + s));
    }
    for (Path p : names) {
      Optional<String> owner = apt.owner(p);
      if (owner.isPresent()) {
        return owner;
      }
    }
    return Optional.empty();
  }
}
