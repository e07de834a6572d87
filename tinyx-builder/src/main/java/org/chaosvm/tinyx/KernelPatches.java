package org.chaosvm.tinyx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The patches tinyx applies to the small kernel's source, in order: kernel-patches/tinyx in the
 * chaos repository (GPL-2.0, as the code they change), carried in tinyx's jar. Each says in its
 * header what it changes and why.
 *
 * @param patches each patch's file name and text, in the series' order
 */
record KernelPatches(List<Patch> patches) {
  /** Where the jar holds them. */
  private static final String RESOURCES = "/org/chaosvm/tinyx/kernel-patches/";

  /** One patch: its file name and its text (a unified diff with a header). */
  record Patch(String name, String text) {}

  KernelPatches {
    patches = List.copyOf(patches);
  }

  /** The series in tinyx's jar. */
  static KernelPatches bundled() throws IOException {
    List<Patch> patches = new ArrayList<>();
    for (String line : resource("series").split("\n")) {
      String name = line.strip();
      if (!name.isEmpty() && !name.startsWith("#")) {
        patches.add(new Patch(name, resource(name)));
      }
    }
    return new KernelPatches(patches);
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = KernelPatches.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IOException("tinyx's jar has no kernel patch " + name + " (a broken build)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A short digest of the whole series, for cache keys and folder names. */
  String digest() {
    StringBuilder series = new StringBuilder();
    for (Patch p : patches) {
      series.append(p.name()).append('\n').append(p.text()).append('\n');
    }
    return Digests.sha256(series.toString(), 12);
  }

  /** Applies the series to the source tree {@code src}; names the patch that does not apply. */
  void apply(Path src, String source) throws IOException {
    for (Patch p : patches) {
      Path file = Files.createTempFile("tinyx-patch", ".patch");
      try {
        Files.writeString(file, p.text());
        Processes.run(
            src,
            List.of(
                "patch",
                "-p1",
                "--forward",
                "--batch",
                "--no-backup-if-mismatch",
                "-i",
                file.toString()));
      } catch (IOException e) {
        throw new IOException(p.name() + " does not apply to " + source + ": " + e.getMessage(), e);
      } finally {
        Files.deleteIfExists(file);
      }
    }
  }

  /** The patches' subjects, for the report. */
  List<String> subjects() {
    return patches.stream()
        .map(
            p ->
                p.text()
                    .lines()
                    .filter(l -> l.startsWith("Subject: "))
                    .findFirst()
                    .map(l -> l.substring("Subject: ".length()).replace("[PATCH] ", ""))
                    .orElse(p.name()))
        .toList();
  }
}
