package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The small kernel: Linux from Debian's {@code linux-source-6.1} package, configured as {@code
 * tinyconfig} plus the symbols of a {@link KernelConfig} and nothing else, with tinyx's {@link
 * KernelPatches} applied, built as a bzImage with no modules.
 *
 * <p>The cache ({@code CACHE/kernel/}) holds the unpacked and patched source ({@code
 * src/PKG_VERSION+tinyx-PATCHES}), one build tree per source ({@code build/} under the same name:
 * kbuild then rebuilds only what another configuration changes) and each kernel built ({@code
 * images/KEY}: its bzImage and its .config), keyed by the source package, its version, the patches
 * and the symbols asked for. A kernel is moved into {@code images/} only once built, so a failed
 * build leaves the kernels built before as they were. Builds in one cache take turns (a file lock).
 */
final class KernelBuild {
  /** Bumped when the way a kernel is configured or built changes. */
  private static final String FORMAT = "tinyx-kernel-1";

  private static final String DONE = ".tinyx-done";
  private static final Pattern SET = Pattern.compile("CONFIG_([A-Za-z0-9_]+)=(.*)");
  private static final Pattern NOT_SET = Pattern.compile("# CONFIG_([A-Za-z0-9_]+) is not set");
  private static final Pattern COMPILED = Pattern.compile("\\s+CC\\s+.*");

  /** Commands and files the build needs, with the Debian package that has each. */
  private static final Map<String, String> TOOLS =
      Map.of(
          "/usr/bin/make", "make",
          "/usr/bin/gcc", "gcc",
          "/usr/bin/flex", "flex",
          "/usr/bin/bison", "bison",
          "/usr/bin/bc", "bc",
          "/usr/bin/xz", "xz-utils",
          "/usr/bin/patch", "patch",
          "/usr/include/libelf.h", "libelf-dev");

  /** Build with fixed names and time, so that the same inputs give the same kernel. */
  private static final Map<String, String> ENV =
      Map.of(
          "KBUILD_BUILD_USER", "tinyx",
          "KBUILD_BUILD_HOST", "tinyx",
          "KBUILD_BUILD_TIMESTAMP", "1970-01-01",
          "LC_ALL", "C");

  /**
   * A kernel in the cache.
   *
   * @param image its bzImage
   * @param release its release ({@code make kernelrelease})
   * @param sourcePackage the source package it was built from
   * @param sourceVersion that package's version
   * @param cached whether it was in the cache already
   */
  record Result(
      Path image, String release, String sourcePackage, String sourceVersion, boolean cached) {}

  private final Path root;
  private final Apt apt;
  private final PackageStore store;
  private final Progress progress;
  private final int jobs;
  private final Map<String, String> tools;
  private final KernelPatches patches;

  KernelBuild(Path cache, Apt apt, PackageStore store, Progress progress) throws IOException {
    this(
        cache,
        apt,
        store,
        progress,
        Runtime.getRuntime().availableProcessors(),
        TOOLS,
        KernelPatches.bundled());
  }

  /**
   * With {@code tools}: the files the build needs, with the package that has each; {@code patches}:
   * what to apply to the source.
   */
  KernelBuild(
      Path cache,
      Apt apt,
      PackageStore store,
      Progress progress,
      int jobs,
      Map<String, String> tools,
      KernelPatches patches) {
    this.root = cache.resolve("kernel");
    this.apt = apt;
    this.store = store;
    this.progress = progress;
    this.jobs = jobs;
    this.tools = tools;
    this.patches = patches;
  }

  /** The patches applied to the source. */
  KernelPatches patches() {
    return patches;
  }

  /** The source package's candidate version; fails when apt cannot have it. */
  String version(String sourcePackage) throws IOException {
    return apt.versions(List.of(sourcePackage)).get(sourcePackage);
  }

  /** The cache key of a kernel: the source, its version, the patches and the symbols asked for. */
  String key(String sourcePackage, String version, KernelConfig config) {
    return Digests.sha256(
        FORMAT
            + "\n"
            + sourcePackage
            + "="
            + version
            + "\n"
            + patches.digest()
            + "\n"
            + config.fragment(),
        16);
  }

  /** The kernel for {@code config}: from the cache, or configured and built. */
  Result build(String sourcePackage, String version, KernelConfig config) throws IOException {
    String key = key(sourcePackage, version, config);
    Path done = root.resolve("images").resolve(key);
    Path image = done.resolve("bzImage");
    if (Files.exists(done.resolve(DONE))) {
      return new Result(image, release(done), sourcePackage, version, true);
    }
    Files.createDirectories(root);
    try (FileChannel lockFile =
            FileChannel.open(
                root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = lockFile.lock()) {
      if (Files.exists(done.resolve(DONE))) { // built by another tinyx meanwhile
        return new Result(image, release(done), sourcePackage, version, true);
      }
      checkTools();
      String name =
          sourcePackage
              + "_"
              + version.replace(':', '+')
              + (patches.patches().isEmpty() ? "" : "+tinyx-" + patches.digest());
      Path src = source(sourcePackage, version, root.resolve("src").resolve(name));
      Path build = root.resolve("build").resolve(name);
      removeOthers(root.resolve("build"), name);
      Files.createDirectories(build);
      configure(src, build, config, sourcePackage + " " + version);
      compile(src, build, root.resolve("build").resolve(name + ".log"));
      Path tmp = root.resolve("images").resolve(key + ".tmp");
      PackageStore.deleteTree(tmp);
      Files.createDirectories(tmp);
      Files.copy(build.resolve("arch/x86/boot/bzImage"), tmp.resolve("bzImage"));
      Files.copy(build.resolve(".config"), tmp.resolve("config"));
      Files.copy(build.resolve("include/config/kernel.release"), tmp.resolve("release"));
      Files.writeString(tmp.resolve(DONE), config.fragment());
      PackageStore.deleteTree(done);
      Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
      return new Result(image, release(done), sourcePackage, version, false);
    }
  }

  private static String release(Path done) throws IOException {
    return Files.readString(done.resolve("release")).strip();
  }

  private void checkTools() throws IOException {
    List<String> missing =
        tools.entrySet().stream()
            .filter(t -> !Files.exists(Path.of(t.getKey())))
            .map(Map.Entry::getValue)
            .sorted()
            .toList();
    if (!missing.isEmpty()) {
      throw new IOException(
          "building the kernel needs "
              + String.join(", ", missing)
              + " (apt-get install build-essential flex bison bc xz-utils libelf-dev)");
    }
  }

  /** The unpacked source tree, from its package's tarball (unpacked once). */
  private Path source(String sourcePackage, String version, Path dir) throws IOException {
    if (Files.exists(dir.resolve(DONE))) {
      return dir;
    }
    progress.detail("fetch and unpack %s %s", sourcePackage, version);
    Path unpacked = store.unpacked(sourcePackage, version);
    Path tarball;
    try (Stream<Path> files = Files.list(unpacked.resolve("usr/src"))) {
      List<Path> tarballs =
          files.filter(f -> f.getFileName().toString().endsWith(".tar.xz")).toList();
      if (tarballs.size() != 1) {
        throw new IOException(
            sourcePackage + " holds " + tarballs.size() + " source tarballs in /usr/src, not one");
      }
      tarball = tarballs.get(0);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException(sourcePackage + " has no /usr/src: not a kernel source package", e);
    }
    Files.createDirectories(dir.getParent());
    removeOthers(dir.getParent(), dir.getFileName().toString());
    Path tmp = Files.createTempDirectory(dir.getParent(), "tmp.");
    try {
      Processes.run(
          null,
          List.of("tar", "-xJf", tarball.toString(), "-C", tmp.toString(), "--strip-components=1"));
      patches.apply(tmp, sourcePackage + " " + version);
      Files.createFile(tmp.resolve(DONE));
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      PackageStore.deleteTree(tmp);
    }
    // the tarball is unpacked: the package's 140 MB are not needed again
    PackageStore.deleteTree(unpacked);
    return dir;
  }

  /** tinyconfig's own fragments, in the order {@code make tinyconfig} applies them. */
  private static final List<String> TINY_FRAGMENTS =
      List.of(
          "kernel/configs/tiny-base.config",
          "kernel/configs/tiny.config",
          "arch/x86/configs/tiny.config");

  /**
   * {@code tinyconfig} with the symbols added: {@code allnoconfig} given tinyconfig's fragments and
   * then tinyx's as {@code KCONFIG_ALLCONFIG}, so that every symbol that the fragments do not set
   * is off, also those that a symbol turned on makes visible ({@code olddefconfig} would give them
   * their defaults: IPv6 with INET, say). Then checks that each symbol holds.
   */
  private void configure(Path src, Path build, KernelConfig config, String source)
      throws IOException {
    StringBuilder all = new StringBuilder();
    for (String fragment : TINY_FRAGMENTS) {
      all.append("# ").append(fragment).append('\n');
      all.append(Files.readString(src.resolve(fragment))).append('\n');
    }
    all.append("# tinyx\n").append(config.fragment());
    Path allConfig = build.resolve("tinyx.config");
    Files.writeString(allConfig, all);
    Map<String, String> env = new LinkedHashMap<>(ENV);
    env.put("KCONFIG_ALLCONFIG", allConfig.toString());
    Processes.run(src, List.of("make", "-s", "O=" + build, "allnoconfig"), env);
    Set<String> asked = config.values().keySet();
    Path dotConfig = build.resolve(".config");
    Map<String, String> result = read(dotConfig);
    List<String> wrong = new ArrayList<>();
    Set<String> known = null;
    for (Map.Entry<String, String> want : config.values().entrySet()) {
      String symbol = want.getKey();
      String got = result.get(symbol);
      boolean holds =
          want.getValue().equals("n")
              ? got == null || got.equals("n")
              : want.getValue().equals(got);
      if (holds) {
        continue;
      }
      if (known == null) {
        known = symbols(src);
      }
      if (!known.contains(symbol)) {
        wrong.add("CONFIG_" + symbol + " does not exist in " + source);
      } else {
        wrong.add(
            KernelConfig.line(symbol, want.getValue())
                + " does not hold (the result has "
                + (got == null ? "no value: its dependencies are not met" : got)
                + ")");
      }
    }
    if (!wrong.isEmpty()) {
      throw new IOException("the kernel's configuration: " + String.join("; ", wrong));
    }
    progress.detail(
        "configured: tinyconfig and %d symbols, %d set in all",
        asked.size(), result.values().stream().filter(v -> !v.equals("n")).count());
  }

  private void compile(Path src, Path build, Path log) throws IOException {
    int[] files = {0};
    long start = System.nanoTime();
    long[] next = {start + 20_000_000_000L};
    progress.detail("building bzImage with %d jobs (log: %s)", jobs, log);
    Processes.runLogged(
        src,
        List.of("make", "-j" + jobs, "O=" + build, "bzImage"),
        ENV,
        log,
        line -> {
          if (COMPILED.matcher(line).matches()) {
            files[0]++;
          }
          long now = System.nanoTime();
          if (now >= next[0]) {
            progress.detail("%d files compiled (%.0f s)", files[0], (now - start) / 1e9);
            next[0] = now + 20_000_000_000L;
          }
        });
    progress.detail(
        "bzImage built: %d files compiled in %.0f s", files[0], (System.nanoTime() - start) / 1e9);
  }

  /** A .config's symbols and values; {@code n} for those that are not set. */
  static Map<String, String> read(Path dotConfig) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : Files.readAllLines(dotConfig)) {
      Matcher set = SET.matcher(line);
      Matcher notSet = NOT_SET.matcher(line);
      if (set.matches()) {
        values.put(set.group(1), set.group(2));
      } else if (notSet.matches()) {
        values.put(notSet.group(1), "n");
      }
    }
    return values;
  }

  private static final Pattern DEFINITION =
      Pattern.compile("^\\s*(?:menu)?config\\s+([A-Za-z0-9_]+)\\s*$", Pattern.MULTILINE);

  /** Every symbol the source's Kconfig files define. */
  static Set<String> symbols(Path src) throws IOException {
    try (Stream<Path> walk = Files.walk(src)) {
      List<Path> kconfigs =
          walk.filter(p -> p.getFileName().toString().startsWith("Kconfig"))
              .filter(Files::isRegularFile)
              .toList();
      Set<String> symbols = new java.util.HashSet<>();
      for (Path k : kconfigs) {
        Matcher m =
            DEFINITION.matcher(new String(Files.readAllBytes(k), StandardCharsets.ISO_8859_1));
        while (m.find()) {
          symbols.add(m.group(1));
        }
      }
      return symbols;
    }
  }

  private static void removeOthers(Path dir, String keep) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> list = Files.list(dir)) {
      for (Path p :
          list.filter(p -> !p.getFileName().toString().startsWith(keep))
              .collect(Collectors.toList())) {
        PackageStore.deleteTree(p);
      }
    }
  }
}
