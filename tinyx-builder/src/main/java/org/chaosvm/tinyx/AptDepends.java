package org.chaosvm.tinyx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the output of {@code apt-cache depends --no-recommends --no-suggests ...}: for each
 * package, its {@code Depends} and {@code PreDepends}, each a list of alternatives ({@code |} joins
 * an alternative to the next). A virtual package is printed in angle brackets and followed by its
 * providers, indented; a real package that others provide is followed by those providers too.
 */
final class AptDepends {
  private AptDepends() {}

  /** One alternative of a dependency. */
  record Alternative(String name, boolean virtual, List<String> providers) {
    Alternative {
      providers = List.copyOf(providers);
    }
  }

  /** A dependency: {@code kind} is {@code Depends} or {@code PreDepends}. */
  record Dependency(String kind, List<Alternative> alternatives) {
    Dependency {
      alternatives = List.copyOf(alternatives);
    }
  }

  /** Parses the output, keeping Depends and PreDepends only, per package in order. */
  static Map<String, List<Dependency>> parse(String output) {
    Map<String, List<Dependency>> result = new LinkedHashMap<>();
    List<Dependency> current = null;
    List<Alternative> pending = new ArrayList<>(); // alternatives joined by '|' so far
    String pendingKind = null;
    String name = null;
    boolean virtual = false;
    List<String> providers = new ArrayList<>();
    boolean continues = false; // the alternative being read is followed by another ('|')
    for (String line : (output + "\n<end>").split("\n")) {
      boolean provider = line.startsWith("    ");
      if (provider && name != null) {
        providers.add(packageName(line.strip()));
        continue;
      }
      if (name != null) {
        pending.add(new Alternative(name, virtual, providers));
        name = null;
        providers = new ArrayList<>();
        if (!continues) {
          current.add(new Dependency(pendingKind, pending));
          pending = new ArrayList<>();
        }
      }
      if (line.isBlank() || provider) {
        continue;
      }
      if (!line.startsWith(" ")) {
        if (line.equals("<end>")) {
          break;
        }
        current = result.computeIfAbsent(packageName(line.strip()), k -> new ArrayList<>());
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 0 || current == null) {
        continue;
      }
      String kind = line.substring(0, colon).strip();
      continues = kind.startsWith("|");
      kind = kind.replace("|", "");
      if (!kind.equals("Depends") && !kind.equals("PreDepends")) {
        continue;
      }
      String target = line.substring(colon + 1).strip();
      virtual = target.startsWith("<") && target.endsWith(">");
      name = packageName(virtual ? target.substring(1, target.length() - 1) : target);
      pendingKind = kind;
    }
    return result;
  }

  /** A name without an architecture qualifier ({@code python3:any}, {@code libc6:amd64}). */
  static String packageName(String s) {
    int colon = s.indexOf(':');
    return colon < 0 ? s : s.substring(0, colon);
  }
}
