package org.chaosvm.tinyx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** report.txt: what the image holds and why, and its sizes. */
final class Report {
  private Report() {}

  static String size(long bytes) {
    if (bytes < 1024 * 1024) {
      return String.format("%.1f KiB", bytes / 1024.0);
    }
    return String.format("%.1f MiB", bytes / (1024.0 * 1024));
  }

  static String render(
      Spec spec,
      List<String> command,
      PackageClosure.Result closure,
      Rootfs.Selection selection,
      Map<String, String> versions,
      BootKernel kernel,
      FileTree tree,
      long kernelBytes,
      long imageBytes,
      long unpackedBytes,
      RootImage root,
      int memory)
      throws IOException {
    Map<String, long[]> perOrigin = new TreeMap<>(); // entries, bytes
    for (FileTree.Entry e : tree.entries()) {
      long[] t = perOrigin.computeIfAbsent(e.origin(), k -> new long[2]);
      t[0]++;
      t[1] += e.size();
    }
    StringBuilder s = new StringBuilder();
    s.append("tinyx VM ").append(spec.name()).append(": ").append(spec.app()).append('\n');
    s.append("command: ").append(String.join(" ", command)).append('\n');
    s.append("memory: ").append(memory).append(" MiB, vcpus: ").append(spec.vcpus()).append('\n');
    s.append('\n');
    s.append("kernel: ")
        .append(Builder.KERNEL_FILE)
        .append(' ')
        .append(size(kernelBytes))
        .append(" (")
        .append(kernel.origin())
        .append(")\n");
    s.append("modules loaded at boot: ")
        .append(kernel.moduleFiles().isEmpty() ? "none" : String.join(", ", kernel.moduleFiles()))
        .append('\n');
    s.append("root image: ")
        .append(root.fileName())
        .append(' ')
        .append(size(imageBytes))
        .append(" (")
        .append(size(unpackedBytes))
        .append(" unpacked, ")
        .append(tree.entries().size())
        .append(" entries): ")
        .append(root.describe())
        .append("\n\n");

    s.append("packages included (").append(selection.included().size()).append("):\n");
    for (Map.Entry<String, String> p : selection.included().entrySet()) {
      long[] t = perOrigin.getOrDefault(p.getKey(), new long[2]);
      s.append(
          String.format(
              "  %-28s %-28s %5d entries %10s  %s%n",
              p.getKey(), versions.getOrDefault(p.getKey(), ""), t[0], size(t[1]), p.getValue()));
    }
    Map<String, String> leftOut = new LinkedHashMap<>();
    for (PackageClosure.LeftOut l : closure.leftOut()) {
      leftOut.put(l.name(), l.reason());
    }
    leftOut.putAll(selection.leftOut());
    s.append("\npackages left out (").append(leftOut.size()).append("):\n");
    for (Map.Entry<String, String> p : leftOut.entrySet()) {
      s.append(String.format("  %-28s %s%n", p.getKey(), p.getValue()));
    }
    if (!selection.programsLeftOut().isEmpty()) {
      s.append("\nprograms of dependencies left out, the command runs none of them (")
          .append(selection.programsLeftOut().size())
          .append("; --package PKG keeps a package whole):\n");
      selection
          .programsLeftOut()
          .forEach((path, pkg) -> s.append(String.format("  %-36s %s%n", path, pkg)));
    }
    s.append("\nother files:\n");
    for (Map.Entry<String, long[]> o : perOrigin.entrySet()) {
      if (!selection.included().containsKey(o.getKey())) {
        s.append(
            String.format(
                "  %-36s %5d entries %10s%n", o.getKey(), o.getValue()[0], size(o.getValue()[1])));
      }
    }
    if (!kernel.config().isEmpty()) {
      s.append("\nkernel config on top of tinyconfig, and why:\n");
      for (Map.Entry<String, List<String>> need : kernel.config().entrySet()) {
        s.append("  ").append(need.getKey()).append(":\n");
        s.append("    ").append(String.join(" ", need.getValue())).append('\n');
      }
    }
    if (!kernel.patches().isEmpty()) {
      s.append("\npatches on the kernel's source (kernel-patches/tinyx):\n");
      kernel.patches().forEach(p -> s.append("  ").append(p).append('\n'));
    }
    s.append("\nshared libraries (DT_NEEDED) and the files that need them:\n");
    Map<String, List<String>> byLib = new TreeMap<>();
    for (String edge : selection.libraryEdges()) {
      int arrow = edge.indexOf(" -> ");
      byLib
          .computeIfAbsent(edge.substring(arrow + 4), k -> new ArrayList<>())
          .add(edge.substring(0, arrow));
    }
    for (Map.Entry<String, List<String>> lib : byLib.entrySet()) {
      List<String> users = lib.getValue().stream().distinct().sorted().toList();
      s.append(
          String.format(
              "  %-28s %3d: %s%s%n",
              lib.getKey(),
              users.size(),
              String.join(", ", users.subList(0, Math.min(3, users.size()))),
              users.size() > 3 ? ", ..." : ""));
    }
    return s.toString();
  }
}
