package org.chaosvm.tinyx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What tinyx changes in the small kernel's source, in order: the patches of kernel-patches/tinyx in
 * the chaos repository (GPL-2.0, as the code they change), carried in tinyx's jar, each saying in
 * its header what it changes and why; then the files it adds: chaos's noxs-front driver
 * (kernel-patches/linux/noxs-front, with noxs's public headers) in {@value #NOXS_FRONT_DIR}, which
 * a patch of the series names in drivers/xen's Makefile and which a {@code --noxs} VM's kernel
 * builds in.
 *
 * @param patches each patch's file name and text, in the series' order
 * @param added the files added after the patches
 */
record KernelPatches(List<Patch> patches, List<AddedFile> added) {
  /** Where the jar holds the patches. */
  private static final String RESOURCES = "/org/chaosvm/tinyx/kernel-patches/";

  /** Where the jar holds noxs-front's files. */
  private static final String NOXS_FRONT = "/org/chaosvm/tinyx/noxs-front/";

  /** noxs-front's files: its Kbuild, its source and the public headers that it includes. */
  private static final List<String> NOXS_FRONT_FILES =
      List.of(
          "Kbuild",
          "noxs-front.c",
          "noxs-public/xen.h",
          "noxs-public/devctl.h",
          "noxs-public/io/noxs.h");

  /** Where noxs-front goes in the source tree. */
  static final String NOXS_FRONT_DIR = "drivers/xen/noxs-front";

  /** One patch: its file name and its text (a unified diff with a header). */
  record Patch(String name, String text) {}

  /** A file added to the tree: its path there and its text. */
  record AddedFile(String path, String text) {}

  KernelPatches {
    patches = List.copyOf(patches);
    added = List.copyOf(added);
  }

  /** Patches alone. */
  KernelPatches(List<Patch> patches) {
    this(patches, List.of());
  }

  /** The series in tinyx's jar. */
  static KernelPatches bundled() throws IOException {
    List<Patch> patches = new ArrayList<>();
    for (String line : resource(RESOURCES + "series").split("\n")) {
      String name = line.strip();
      if (!name.isEmpty() && !name.startsWith("#")) {
        patches.add(new Patch(name, resource(RESOURCES + name)));
      }
    }
    List<AddedFile> added = new ArrayList<>();
    for (String file : NOXS_FRONT_FILES) {
      added.add(new AddedFile(NOXS_FRONT_DIR + "/" + file, resource(NOXS_FRONT + file)));
    }
    return new KernelPatches(patches, added);
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = KernelPatches.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("tinyx's jar has no " + name + " (a broken build)");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A short digest of the whole series and the files added, for cache keys and folder names. */
  String digest() {
    StringBuilder series = new StringBuilder();
    for (Patch p : patches) {
      series.append(p.name()).append('\n').append(p.text()).append('\n');
    }
    for (AddedFile f : added) {
      series.append(f.path()).append('\n').append(f.text()).append('\n');
    }
    return Digests.sha256(series.toString(), 12);
  }

  /**
   * Applies the series to the source tree {@code src}, then adds the files; names the patch that
   * does not apply, or the file that the source has already.
   */
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
    for (AddedFile f : added) {
      Path file = src.resolve(f.path());
      if (Files.exists(file)) {
        throw new IOException(source + " has " + f.path() + " already: tinyx would add it");
      }
      Files.createDirectories(file.getParent());
      Files.writeString(file, f.text());
    }
  }

  /** The patches' subjects, and the folders of the files added, for the report. */
  List<String> subjects() {
    List<String> subjects = new ArrayList<>(patchSubjects());
    if (!added.isEmpty()) {
      subjects.add("added: " + NOXS_FRONT_DIR + " (chaos's noxs-front, built in with --noxs)");
    }
    return subjects;
  }

  private List<String> patchSubjects() {
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
