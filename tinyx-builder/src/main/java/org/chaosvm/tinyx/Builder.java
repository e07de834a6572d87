package org.chaosvm.tinyx;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Builds a tinyx VM: resolves the application's packages, fetches them and the kernel, chooses the
 * files, writes the init, packs the initramfs and writes the kernel, the image, vm.cfg and a report
 * of what was included and why into the output folder.
 */
public final class Builder {
  /** Bumped when the image's layout changes, so that outputs built before are rebuilt. */
  static final String FORMAT = "tinyx-3";

  static final String BUSYBOX = "busybox-static";
  static final String KERNEL_FILE = "vmlinuz";
  static final String CONFIG_FILE = "vm.cfg";
  static final String REPORT_FILE = "report.txt";
  private static final String KEY_FILE = ".tinyx-key";
  private static final int STEPS = 9;

  private final Spec spec;
  private final Path cache;
  private final Apt apt;
  private final PackageStore store;
  private final Progress progress;

  public Builder(Spec spec, Path cache, PrintWriter out) {
    this.spec = spec;
    this.cache = cache;
    this.apt = new Apt();
    this.store = new PackageStore(cache, apt);
    this.progress = new Progress(out, STEPS);
  }

  /** Runs the build; failures name their step. */
  public void build() throws TinyxException {
    try {
      run();
    } catch (IOException | RuntimeException e) {
      throw new TinyxException(progress.current(), e.getMessage(), e);
    }
  }

  private void run() throws IOException {
    progress.step("resolve packages");
    Map<String, String> roots = new LinkedHashMap<>();
    Map<String, Path> hostFiles = new LinkedHashMap<>(); // libraries no package owns
    String appPath = null;
    if (spec.appIsPath()) {
      Path app = Path.of(spec.app()).toAbsolutePath().normalize();
      if (!Files.isRegularFile(app)) {
        throw new IOException(app + " is not a file");
      }
      appPath = app.toString();
      new HostLibraries(apt).resolve(app, roots, hostFiles);
    } else {
      roots.put(spec.app(), "the application");
    }
    for (String pkg : spec.packages()) {
      roots.putIfAbsent(pkg, "asked for (--package)");
    }
    roots.putIfAbsent(BUSYBOX, "init and shell (BusyBox)");
    Map<String, String> excludes = new LinkedHashMap<>();
    for (String pkg : PackageClosure.DEFAULT_EXCLUDES) {
      excludes.put(pkg, "left out: packaging and init-system tools are not run in a tinyx VM");
    }
    for (String pkg : spec.excludes()) {
      excludes.put(pkg, "left out (--exclude)");
    }
    for (String root : roots.keySet()) {
      excludes.remove(root);
    }
    PackageClosure.Result closure = PackageClosure.resolve(roots, excludes, apt);
    progress.detail("%d packages, %d left out", closure.taken().size(), closure.leftOut().size());

    progress.step("look up versions");
    Map<String, String> versions = apt.versions(closure.names());
    KernelSource kernelSource = KernelSource.of(spec, closure.names(), cache, apt, store, progress);
    RootImage root = kernelSource.rootImage();
    progress.detail("kernel: %s", kernelSource.inputs());
    String key = key(versions, kernelSource.inputs(), hostFiles, appPath);
    Path keyFile = spec.out().resolve(KEY_FILE);
    if (Files.exists(keyFile)
        && Files.readString(keyFile).strip().equals(key)
        && Files.exists(spec.out().resolve(root.fileName()))
        && Files.exists(spec.out().resolve(KERNEL_FILE))) {
      progress.end();
      progress.detail("%s is up to date (same inputs): nothing to build", spec.out());
      return;
    }

    progress.step("fetch packages");
    List<Rootfs.Source> sources = new ArrayList<>();
    int i = 0;
    for (PackageClosure.Taken taken : closure.taken()) {
      String version = versions.get(taken.name());
      i++;
      if (!store.has(taken.name(), version)) {
        progress.detail("(%d/%d) %s %s", i, closure.taken().size(), taken.name(), version);
      }
      Path dir = store.unpacked(taken.name(), version);
      sources.add(
          new Rootfs.Source(taken.name(), dir, taken.reason(), roots.containsKey(taken.name())));
    }

    progress.step(kernelSource.step());
    BootKernel kernel = kernelSource.get();

    progress.step("select files");
    FileTree tree = new FileTree();
    Rootfs rootfs = new Rootfs(tree);
    if (appPath != null) {
      tree.addFile(appPath, Path.of(appPath), 0755, "the application");
      for (Map.Entry<String, Path> lib : hostFiles.entrySet()) {
        tree.addFile(lib.getKey(), lib.getValue(), 0644, "host library (no package owns it)");
      }
    }
    for (Spec.FileSpec file : spec.files()) {
      addHostTree(tree, file);
    }
    if (spec.base().isPresent()) {
      addHostTree(tree, new Spec.FileSpec(spec.base().get(), "/"));
    }
    Rootfs.Selection selection =
        rootfs.select(sources, spec.command().isEmpty() ? null : spec.command().get(0));
    Path busybox =
        sources.stream().filter(s -> s.name().equals(BUSYBOX)).findFirst().orElseThrow().dir();
    List<String> applets = Skeleton.applets(busybox);
    List<String> command = command(tree, sources, appPath, applets);
    progress.detail(
        "%d entries from %d packages", tree.entries().size(), selection.included().size());

    progress.step("byte-compile Python modules");
    Files.createDirectories(spec.out());
    Path pythonStage = spec.out().resolve("python.stage");
    PackageStore.deleteTree(pythonStage);
    List<PythonBytecode.Compiled> compiled = PythonBytecode.addTo(tree, pythonStage);
    if (compiled.isEmpty()) {
      progress.detail("no Python in the image");
    }
    compiled.forEach(c -> progress.detail("%s", c));

    progress.step("write the init");
    List<String> modulePaths = new ArrayList<>();
    for (String file : kernel.moduleFiles()) {
      String image = "/usr/lib/modules/" + kernel.release() + "/" + file;
      tree.addFile(image, kernel.moduleDir().resolve(file), 0644, "kernel module");
      modulePaths.add(image);
    }
    Skeleton.add(tree, spec.name(), applets);
    root.addTo(tree);
    String init =
        new InitScript(
                spec.name(),
                command,
                spec.env(),
                spec.workdir(),
                modulePaths,
                root.initSetup(),
                root.initAfterMounts())
            .render();
    tree.addContent("/init", init, 0755, "tinyx init");

    progress.step("pack the root image");
    Files.createDirectories(spec.out());
    Path image = spec.out().resolve(root.fileName());
    Path tmp = spec.out().resolve(root.fileName() + ".tmp");
    try {
      root.write(tree, tmp);
      Files.move(tmp, image, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    removeOtherImages(root);
    long imageBytes = Files.size(image);
    long unpacked = 0;
    for (FileTree.Entry e : tree.entries()) {
      unpacked += e.size();
    }
    progress.detail(
        "%s: %s (%s unpacked, %d entries)",
        root.fileName(), Report.size(imageBytes), Report.size(unpacked), tree.entries().size());

    progress.step("write the kernel, vm.cfg and the report");
    Path vmlinuz = spec.out().resolve(KERNEL_FILE);
    Files.copy(kernel.image(), vmlinuz, StandardCopyOption.REPLACE_EXISTING);
    int memory = spec.memory() > 0 ? spec.memory() : root.defaultMemory(imageBytes, unpacked);
    String bootDir = spec.bootDir().orElse(spec.out().toAbsolutePath().normalize().toString());
    Files.writeString(
        spec.out().resolve(CONFIG_FILE),
        VmConfig.render(
            spec,
            bootDir + "/" + KERNEL_FILE,
            bootDir + "/" + root.fileName(),
            root.cmdline(imageBytes),
            memory,
            spec.app()));
    String report =
        Report.render(
            spec,
            command,
            closure,
            selection,
            versions,
            kernel,
            tree,
            Files.size(vmlinuz),
            imageBytes,
            unpacked,
            root,
            memory);
    Files.writeString(spec.out().resolve(REPORT_FILE), report);
    Files.writeString(keyFile, key + "\n");
    progress.end();
    progress.detail(
        "done in %.1f s: %s (kernel %s, root image %s)",
        progress.totalSeconds(),
        spec.out(),
        Report.size(Files.size(vmlinuz)),
        Report.size(imageBytes));
  }

  /** Removes an image of the other format that an earlier build left in the output folder. */
  private void removeOtherImages(RootImage root) throws IOException {
    for (RootImage other : RootImage.formats()) {
      if (!other.fileName().equals(root.fileName())) {
        Files.deleteIfExists(spec.out().resolve(other.fileName()));
      }
    }
  }

  private List<String> command(
      FileTree tree, List<Rootfs.Source> sources, String appPath, List<String> applets)
      throws IOException {
    if (!spec.command().isEmpty()) {
      String program = spec.command().get(0);
      if (program.contains("/")) {
        if (tree.resolve(program).isEmpty()) {
          throw new IOException("the command's program " + program + " is not in the image");
        }
      } else if (Rootfs.PROGRAM_DIRS.stream()
          .noneMatch(d -> tree.resolve(d + "/" + program).isPresent())) {
        if (applets.stream().noneMatch(a -> a.endsWith("/" + program))) {
          throw new IOException(
              "the command's program " + program + " is in no folder of PATH in the image");
        }
      }
      return spec.command();
    }
    if (appPath != null) {
      return List.of(appPath);
    }
    Rootfs.Source app =
        sources.stream().filter(s -> s.name().equals(spec.app())).findFirst().orElseThrow();
    List<String> programs = new ArrayList<>();
    for (Map.Entry<String, Path> f : Rootfs.files(app.dir()).entrySet()) {
      String p = f.getKey();
      if ((p.startsWith("/usr/bin/") || p.startsWith("/usr/sbin/"))
          && !Files.isDirectory(f.getValue(), LinkOption.NOFOLLOW_LINKS)) {
        programs.add(p);
      }
    }
    for (String p : programs) {
      if (p.endsWith("/" + spec.app())) {
        return List.of(p);
      }
    }
    if (programs.size() == 1) {
      return programs;
    }
    throw new IOException(
        spec.app()
            + (programs.isEmpty()
                ? " has no program in /usr/bin or /usr/sbin"
                : " has " + programs.size() + " programs (" + String.join(", ", programs) + ")")
            + ": give the command to run after the application");
  }

  private static void addHostTree(FileTree tree, Spec.FileSpec file) throws IOException {
    Path host = file.host();
    if (!Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("the extra file " + host + " does not exist");
    }
    try (Stream<Path> walk = Files.walk(host)) {
      for (Path p : walk.sorted().toList()) {
        String rel = host.relativize(p).toString();
        String image =
            rel.isEmpty()
                ? file.image()
                : (file.image().equals("/") ? "" : file.image()) + "/" + rel;
        tree.addHost(image, p, "--file " + host);
      }
    }
  }

  private String key(
      Map<String, String> versions,
      String kernelInputs,
      Map<String, Path> hostFiles,
      String appPath)
      throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    StringBuilder in = new StringBuilder(FORMAT).append('\n');
    Spec forKey =
        new Spec(
            spec.app(),
            spec.command(),
            spec.name(),
            spec.packages(),
            spec.files(),
            new TreeMap<>(spec.env()),
            spec.workdir(),
            spec.memory(),
            spec.vcpus(),
            spec.excludes(),
            spec.kernel(),
            spec.network(),
            spec.noxs(),
            spec.bridge(),
            spec.ip(),
            spec.gateway(),
            Path.of("."),
            spec.bootDir(),
            spec.base());
    in.append(forKey).append('\n');
    in.append(new TreeMap<>(versions)).append('\n');
    in.append(kernelInputs).append('\n');
    in.append(spec.out().toAbsolutePath().normalize()).append('\n');
    sha.update(in.toString().getBytes(StandardCharsets.UTF_8));
    List<Path> contents = new ArrayList<>(hostFiles.values());
    if (appPath != null) {
      contents.add(Path.of(appPath));
    }
    for (Spec.FileSpec file : spec.files()) {
      if (Files.exists(file.host())) {
        try (Stream<Path> walk = Files.walk(file.host())) {
          contents.addAll(walk.sorted().toList());
        }
      }
    }
    for (Path p : contents) {
      sha.update(p.toString().getBytes(StandardCharsets.UTF_8));
      if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        sha.update(Files.readAllBytes(p));
      } else if (Files.isSymbolicLink(p)) {
        sha.update(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    // tinyx's own code: a new tinyx may lay the image out differently
    try {
      Path code =
          Path.of(Builder.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(code)) {
        // the classes, not the jar's bytes, which carry the time of each build
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(code.toFile())) {
          for (java.util.jar.JarEntry entry :
              jar.stream().sorted(java.util.Comparator.comparing(e -> e.getName())).toList()) {
            if (entry.getName().endsWith(".class")) {
              sha.update(entry.getName().getBytes(StandardCharsets.UTF_8));
              try (java.io.InputStream classBytes = jar.getInputStream(entry)) {
                sha.update(classBytes.readAllBytes());
              }
            }
          }
        }
      }
    } catch (java.net.URISyntaxException | SecurityException e) {
      // FORMAT stands in for the code
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
