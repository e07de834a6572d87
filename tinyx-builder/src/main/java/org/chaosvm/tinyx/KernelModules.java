package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A kernel's modules as {@code modules.dep} and {@code modules.builtin} list them: which file holds
 * a module, what it depends on, and which modules are built in.
 */
final class KernelModules {
  private final Map<String, String> fileByName = new HashMap<>();
  private final Map<String, List<String>> depsByFile = new HashMap<>();
  private final Set<String> builtin = new java.util.HashSet<>();

  KernelModules(String modulesDep, String modulesBuiltin) {
    for (String line : modulesDep.split("\n")) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String file = line.substring(0, colon);
      String rest = line.substring(colon + 1).strip();
      depsByFile.put(file, rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
      fileByName.put(moduleName(file), file);
    }
    for (String line : modulesBuiltin.split("\n")) {
      if (!line.isBlank()) {
        builtin.add(moduleName(line.strip()));
      }
    }
  }

  static KernelModules read(Path moduleDir) throws IOException {
    Path builtinFile = moduleDir.resolve("modules.builtin");
    return new KernelModules(
        Files.readString(moduleDir.resolve("modules.dep")),
        Files.exists(builtinFile) ? Files.readString(builtinFile) : "");
  }

  /** A module's name from its file: {@code kernel/drivers/net/xen-netfront.ko} is xen_netfront. */
  static String moduleName(String file) {
    String base = file.substring(file.lastIndexOf('/') + 1);
    base = base.replaceFirst("\\.ko(\\.[a-z]+)?$", "");
    return base.replace('-', '_');
  }

  /**
   * The module files (relative to the module folder) that loading {@code names} needs, each after
   * those it depends on; built-in modules need none.
   *
   * @throws IOException naming the modules the kernel has neither as a module nor built in
   */
  List<String> closure(List<String> names) throws IOException {
    LinkedHashSet<String> ordered = new LinkedHashSet<>();
    List<String> missing = new ArrayList<>();
    for (String name : names) {
      String key = name.replace('-', '_');
      String file = fileByName.get(key);
      if (file != null) {
        add(file, ordered);
      } else if (!builtin.contains(key)) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new IOException("the kernel has no module " + String.join(", ", missing));
    }
    return new ArrayList<>(ordered);
  }

  private void add(String file, LinkedHashSet<String> ordered) {
    if (ordered.contains(file)) {
      return;
    }
    for (String dep : depsByFile.getOrDefault(file, List.of())) {
      add(dep, ordered);
    }
    ordered.add(file);
  }
}
