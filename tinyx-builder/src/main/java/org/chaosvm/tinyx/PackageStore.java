package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The cache of unpacked Debian packages: {@code CACHE/packages/NAME_VERSION/} holds a package's
 * files as {@code dpkg-deb -x} left them, once it is complete (a marker file says so), so that a
 * rebuild with the same packages downloads nothing.
 */
final class PackageStore {
  private static final String DONE = ".tinyx-unpacked";

  private final Path root;
  private final Apt apt;

  PackageStore(Path cache, Apt apt) {
    this.root = cache.resolve("packages");
    this.apt = apt;
  }

  Path dir(String name, String version) {
    return root.resolve(name + "_" + version.replace(':', '+'));
  }

  boolean has(String name, String version) {
    return Files.exists(dir(name, version).resolve(DONE));
  }

  /** The package's unpacked files, downloaded and unpacked first when they are not cached. */
  Path unpacked(String name, String version) throws IOException {
    Path dir = dir(name, version);
    if (Files.exists(dir.resolve(DONE))) {
      return dir;
    }
    Files.createDirectories(root);
    Path tmp = Files.createTempDirectory(root, "tmp." + name + ".");
    try {
      Path deb = apt.download(name, version, tmp.resolve("deb"));
      apt.unpack(deb, tmp.resolve("root"));
      Files.createFile(tmp.resolve("root").resolve(DONE));
      deleteTree(dir);
      Files.move(tmp.resolve("root"), dir, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      deleteTree(tmp);
    }
    return dir;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
