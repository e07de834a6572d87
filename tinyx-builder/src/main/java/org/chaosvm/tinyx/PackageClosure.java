package org.chaosvm.tinyx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.chaosvm.tinyx.AptDepends.Alternative;
import org.chaosvm.tinyx.AptDepends.Dependency;

/**
 * The Debian packages an application needs: the roots and, recursively, their {@code Depends} and
 * {@code PreDepends} (the first alternative that is not left out; a virtual package by its first
 * provider), without the packages a one-application VM never runs (package management, init
 * systems; see {@link #DEFAULT_EXCLUDES}). Each package keeps the reason it was taken or left out.
 */
final class PackageClosure {

  /**
   * Packages that a Debian system depends on for installing, configuring and starting services,
   * none of which a VM that runs one program from its own init needs: the package manager and its
   * configuration tools, the init systems and their helpers, account tools.
   */
  static final Set<String> DEFAULT_EXCLUDES =
      Set.of(
          "dpkg",
          "debconf",
          "debconf-2.0",
          "cdebconf",
          "perl-base",
          "init-system-helpers",
          "lsb-base",
          "sysvinit-utils",
          "systemd",
          "systemd-sysv",
          "init",
          "adduser",
          "passwd",
          "login",
          "ucf",
          "debianutils",
          "install-info",
          "dpkg-dev");

  /** Where the dependency lists come from (apt-cache in a build, a map in a test). */
  interface DependsSource {
    Map<String, List<Dependency>> depends(Collection<String> packages) throws IOException;
  }

  /** A package taken into the image, and why. */
  record Taken(String name, String reason) {}

  /** A package left out, and why. */
  record LeftOut(String name, String reason) {}

  /** The result: packages in the order they were taken, and those left out. */
  record Result(List<Taken> taken, List<LeftOut> leftOut) {
    Result {
      taken = List.copyOf(taken);
      leftOut = List.copyOf(leftOut);
    }

    List<String> names() {
      return taken.stream().map(Taken::name).toList();
    }
  }

  private PackageClosure() {}

  /**
   * Resolves the closure.
   *
   * @param roots the packages asked for, each with its reason
   * @param excludes the packages to leave out (with the reason printed for them)
   */
  static Result resolve(
      Map<String, String> roots, Map<String, String> excludes, DependsSource source)
      throws IOException {
    Map<String, Taken> taken = new LinkedHashMap<>();
    Map<String, LeftOut> leftOut = new LinkedHashMap<>();
    List<String> frontier = new ArrayList<>();
    for (Map.Entry<String, String> root : roots.entrySet()) {
      if (taken.putIfAbsent(root.getKey(), new Taken(root.getKey(), root.getValue())) == null) {
        frontier.add(root.getKey());
      }
    }
    while (!frontier.isEmpty()) {
      Map<String, List<Dependency>> depends = source.depends(frontier);
      List<String> next = new ArrayList<>();
      for (String pkg : frontier) {
        for (Dependency dep : depends.getOrDefault(pkg, List.of())) {
          String chosen = choose(dep, taken, excludes);
          if (chosen == null) {
            for (Alternative alt : dep.alternatives()) {
              leftOut.putIfAbsent(
                  alt.name(),
                  new LeftOut(
                      alt.name(),
                      dep.kind()
                          + " of "
                          + pkg
                          + ", "
                          + excludes.getOrDefault(alt.name(), "its providers are left out")));
            }
            continue;
          }
          if (!taken.containsKey(chosen)) {
            Alternative alt = alternativeOf(dep, chosen);
            String reason =
                alt != null && !alt.name().equals(chosen)
                    ? "provides " + alt.name() + ", " + dep.kind() + " of " + pkg
                    : dep.kind() + " of " + pkg;
            taken.put(chosen, new Taken(chosen, reason));
            next.add(chosen);
          }
        }
      }
      frontier = next;
    }
    leftOut.keySet().removeAll(taken.keySet());
    return new Result(new ArrayList<>(taken.values()), new ArrayList<>(leftOut.values()));
  }

  /** The package that satisfies a dependency, or null when every alternative is left out. */
  private static String choose(
      Dependency dep, Map<String, Taken> taken, Map<String, String> excludes) {
    for (Alternative alt : dep.alternatives()) {
      if (taken.containsKey(alt.name())) {
        return alt.name();
      }
      for (String provider : alt.providers()) {
        if (taken.containsKey(provider)) {
          return provider;
        }
      }
    }
    for (Alternative alt : dep.alternatives()) {
      if (excludes.containsKey(alt.name())) {
        continue;
      }
      if (!alt.virtual()) {
        return alt.name();
      }
      for (String provider : alt.providers()) {
        if (!excludes.containsKey(provider)) {
          return provider;
        }
      }
    }
    return null;
  }

  private static Alternative alternativeOf(Dependency dep, String chosen) {
    for (Alternative alt : dep.alternatives()) {
      if (alt.name().equals(chosen) || alt.providers().contains(chosen)) {
        return alt;
      }
    }
    return null;
  }
}
