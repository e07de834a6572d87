package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.chaosvm.tinyx.AptDepends.Dependency;

/**
 * Debian's package tools as tinyx uses them: {@code apt-cache} for dependencies and candidate
 * versions, {@code apt-get download} and {@code dpkg-deb -x} to fetch and unpack a package without
 * installing it (no root needed), {@code dpkg -S} to name the package that owns a host file.
 */
final class Apt implements PackageClosure.DependsSource {

  @Override
  public Map<String, List<Dependency>> depends(Collection<String> packages) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "apt-cache",
                "depends",
                "--no-recommends",
                "--no-suggests",
                "--no-conflicts",
                "--no-breaks",
                "--no-replaces",
                "--no-enhances"));
    command.addAll(packages);
    return AptDepends.parse(Processes.run(null, command));
  }

  /** The candidate version of each package, from {@code apt-cache show --no-all-versions}. */
  Map<String, String> versions(Collection<String> packages) throws IOException {
    List<String> command = new ArrayList<>(List.of("apt-cache", "show", "--no-all-versions"));
    command.addAll(packages);
    String output;
    try {
      output = Processes.run(null, command);
    } catch (IOException e) {
      throw new IOException(
          "apt-cache knows no package among " + String.join(", ", packages) + ": " + e.getMessage(),
          e);
    }
    Map<String, String> versions = new LinkedHashMap<>();
    String name = null;
    for (String line : output.split("\n")) {
      if (line.startsWith("Package: ")) {
        name = line.substring(9).strip();
      } else if (line.startsWith("Version: ") && name != null) {
        versions.putIfAbsent(name, line.substring(9).strip());
      }
    }
    for (String pkg : packages) {
      if (!versions.containsKey(pkg)) {
        throw new IOException(
            "apt-cache knows no installable package "
                + pkg
                + " (is the name right, and have the package lists been updated with apt-get"
                + " update?)");
      }
    }
    return versions;
  }

  /**
   * Downloads {@code name=version} into {@code dir} and returns the .deb. apt drops to its sandbox
   * user when run as root, who may not write to {@code dir}, so it is told to stay root there.
   */
  Path download(String name, String version, Path dir) throws IOException {
    Files.createDirectories(dir);
    Processes.run(
        dir,
        List.of(
            "apt-get", "download", "-qq", "-o", "APT::Sandbox::User=root", name + "=" + version));
    String prefix = name + "_" + version.replace(":", "%3a") + "_";
    try (Stream<Path> files = Files.list(dir)) {
      Optional<Path> deb =
          files
              .filter(f -> f.getFileName().toString().startsWith(prefix))
              .filter(f -> f.getFileName().toString().endsWith(".deb"))
              .findFirst();
      return deb.orElseThrow(
          () -> new IOException("apt-get download of " + name + "=" + version + " left no .deb"));
    }
  }

  /** Unpacks a .deb's files into {@code dir}. */
  void unpack(Path deb, Path dir) throws IOException {
    Files.createDirectories(dir);
    Processes.run(null, List.of("dpkg-deb", "-x", deb.toString(), dir.toString()));
  }

  /** The installed package that owns a host file ({@code dpkg -S}), if any. */
  Optional<String> owner(Path file) throws IOException {
    String output;
    try {
      output = Processes.run(null, List.of("dpkg", "-S", file.toString()));
    } catch (IOException e) {
      return Optional.empty();
    }
    for (String line : output.split("\n")) {
      int colon = line.indexOf(": ");
      if (colon > 0 && !line.startsWith("diversion ")) {
        return Optional.of(AptDepends.packageName(line.substring(0, colon).split(",")[0].strip()));
      }
    }
    return Optional.empty();
  }

  /** The kernel package that Debian's meta-package {@code linux-image-amd64} points at. */
  String defaultKernelPackage() throws IOException {
    for (List<Dependency> deps : depends(List.of("linux-image-amd64")).values()) {
      for (Dependency dep : deps) {
        String name = dep.alternatives().get(0).name();
        if (name.startsWith("linux-image-")) {
          return name;
        }
      }
    }
    throw new IOException("apt-cache does not say which kernel linux-image-amd64 depends on");
  }
}
