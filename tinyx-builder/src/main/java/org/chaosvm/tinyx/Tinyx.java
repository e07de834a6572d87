package org.chaosvm.tinyx;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tinyx}: builds a minimal Linux VM image for one application, from Debian packages. */
@Command(
    name = "tinyx",
    mixinStandardHelpOptions = true,
    versionProvider = Tinyx.Version.class,
    description = {
      "Build a minimal Xen PV Linux VM for one application: a small Linux kernel built for it"
          + " from Debian's linux-source-6.1 (tinyconfig and what the VM needs; or Debian's own"
          + " kernel with only the modules the VM loads), a root image (a squashfs; an initramfs"
          + " for Debian's kernel) with the application, its libraries and package dependencies"
          + " and BusyBox, and an xl config (vm.cfg) for xl create or chaos create.",
      "APP is a Debian package name or the path of an executable; COMMAND (after --) is what the"
          + " VM runs, by default the application's program. The VM powers off when it exits."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:built (or up to date)", "1:the build failed", "2:usage"})
public final class Tinyx implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec commandLine;

  @Parameters(index = "0", paramLabel = "APP", description = "Debian package or executable")
  String app;

  @Parameters(index = "1..*", paramLabel = "COMMAND", description = "the command the VM runs")
  List<String> command = new ArrayList<>();

  @Option(
      names = {"-o", "--out"},
      paramLabel = "DIR",
      description = "output folder (default: ./NAME)")
  Path out;

  @Option(
      names = {"-n", "--name"},
      description = "the VM's name (default: from APP)")
  String name;

  @Option(
      names = {"-p", "--package"},
      paramLabel = "PKG",
      description = "an extra Debian package (repeatable)")
  List<String> packages = new ArrayList<>();

  @Option(
      names = {"-f", "--file"},
      paramLabel = "HOST[:IMAGE]",
      description = "an extra file or folder, copied to IMAGE (default: the same path)")
  List<String> files = new ArrayList<>();

  @Option(
      names = {"-e", "--env"},
      paramLabel = "KEY=VALUE",
      description = "an environment variable of the command (repeatable)")
  Map<String, String> env = new LinkedHashMap<>();

  @Option(
      names = {"-w", "--workdir"},
      defaultValue = "/",
      description = "the command's working directory (default: ${DEFAULT-VALUE})")
  String workdir;

  @Option(
      names = {"-m", "--memory"},
      paramLabel = "MiB",
      description = "the VM's memory (default: from the kernel and the image's size)")
  int memory;

  @Option(names = "--vcpus", defaultValue = "1", description = "vCPUs (default: ${DEFAULT-VALUE})")
  int vcpus;

  @Option(
      names = "--kernel",
      paramLabel = "small|debian",
      defaultValue = "small",
      description =
          "the kernel: small (built from tinyconfig and what the VM needs, no modules) or"
              + " debian (Debian's kernel package) (default: ${DEFAULT-VALUE})")
  String kernel;

  @Option(
      names = "--kernel-config",
      paramLabel = "CONFIG_NAME=VALUE",
      description = "a config symbol for the small kernel, on top of what tinyx adds (repeatable)")
  List<String> kernelConfig = new ArrayList<>();

  @Option(
      names = "--kernel-source",
      paramLabel = "PKG",
      defaultValue = Spec.KernelSpec.DEFAULT_SOURCE,
      description = "the small kernel's Debian source package (default: ${DEFAULT-VALUE})")
  String kernelSource;

  @Option(
      names = "--module",
      paramLabel = "MODULE",
      description = "with --kernel debian: an extra kernel module to load at boot")
  List<String> modules = new ArrayList<>();

  @Option(
      names = {"-x", "--exclude"},
      paramLabel = "PKG",
      description = "a package to leave out, beside the packaging and init-system ones")
  List<String> excludes = new ArrayList<>();

  @Option(
      names = "--kernel-package",
      paramLabel = "PKG",
      description =
          "with --kernel debian: the kernel package (default: the one linux-image-amd64 depends"
              + " on)")
  String kernelPackage;

  @Option(names = "--no-network", description = "no vif and no netfront")
  boolean noNetwork;

  @Option(
      names = "--noxs",
      description =
          "a VM for chaos's noxs (dev_method = \"noxs\"): its control device and vif from noxs's"
              + " device page, no XenStore (noxs-front built into the small kernel; needs the"
              + " noxs-patched Xen)")
  boolean noxs;

  @Option(
      names = "--bridge",
      defaultValue = "xenbr0",
      description = "the Dom0 bridge of the vif (default: ${DEFAULT-VALUE})")
  String bridge;

  @Option(
      names = "--ip",
      paramLabel = "ADDRESS/PREFIX|dhcp",
      description = "the VM's address, set by its init from ip= on the kernel command line")
  String ip;

  @Option(names = "--gateway", paramLabel = "ADDRESS", description = "the default gateway")
  String gateway;

  @Option(
      names = "--boot-dir",
      paramLabel = "DIR",
      description = "where the Dom0 that boots the VM sees the output folder (default: its path)")
  String bootDir;

  @Option(
      names = "--base",
      paramLabel = "DIR",
      description =
          "start from this root file system (e.g. a debootstrap) instead of an empty one; for"
              + " comparing tinyx with a full Debian VM")
  Path base;

  @Option(
      names = "--cache",
      paramLabel = "DIR",
      description =
          "the package cache (default: $XDG_CACHE_HOME/chaos-tinyx or ~/.cache/chaos-tinyx)")
  Path cache;

  private PrintWriter progress;

  @Override
  public Integer call() throws TinyxException {
    String vmName = name != null ? name : defaultName(app);
    if (!vmName.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
      throw new CommandLine.ParameterException(
          commandLine.commandLine(), "'" + vmName + "' is not a VM name (letters, digits, _ . -)");
    }
    if (ip != null && !ip.equals("dhcp") && !ip.matches("[0-9.]+/[0-9]{1,2}")) {
      throw new CommandLine.ParameterException(
          commandLine.commandLine(), "--ip " + ip + " is not ADDRESS/PREFIX or dhcp");
    }
    Spec spec;
    try {
      spec = spec(vmName);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(commandLine.commandLine(), e.getMessage());
    }
    new Builder(spec, cache != null ? cache : defaultCache(), progress).build();
    return 0;
  }

  private Spec spec(String vmName) {
    return new Spec(
        app,
        command,
        vmName,
        packages,
        files.stream().map(Spec.FileSpec::parse).toList(),
        env,
        workdir,
        memory,
        vcpus,
        excludes,
        kernelSpec(),
        !noNetwork,
        noxs,
        bridge,
        Optional.ofNullable(ip),
        Optional.ofNullable(gateway),
        out != null ? out : Path.of(vmName),
        Optional.ofNullable(bootDir),
        Optional.ofNullable(base));
  }

  private Spec.KernelSpec kernelSpec() {
    if (!kernel.equals("small") && !kernel.equals("debian")) {
      throw new IllegalArgumentException("--kernel " + kernel + " is not small or debian");
    }
    return new Spec.KernelSpec(
        kernel.equals("small"),
        kernelSource,
        kernelConfig,
        Optional.ofNullable(kernelPackage),
        modules);
  }

  /** A VM name from the application: the package's name, or the executable's file name. */
  static String defaultName(String app) {
    String base = app.contains("/") ? Path.of(app).getFileName().toString() : app;
    return base.replaceAll("[^A-Za-z0-9_.-]", "-");
  }

  static Path defaultCache() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isEmpty()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("chaos-tinyx");
  }

  /** Runs {@code tinyx ARGS}, printing to {@code out} and {@code err}; returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    Tinyx tinyx = new Tinyx();
    tinyx.progress = out;
    CommandLine line = new CommandLine(tinyx);
    line.setOut(out);
    line.setErr(err);
    line.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          err.println("tinyx: " + e.getMessage());
          return 1;
        });
    int code = line.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /** tinyx's version: its jar's Implementation-Version, which the build writes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Tinyx.class.getPackage().getImplementationVersion();
      return new String[] {"tinyx " + (version == null ? "(development build)" : version)};
    }
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(run(out, err, args));
  }
}
