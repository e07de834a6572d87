package org.chaosvm.tinyx;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What to build.
 *
 * @param app the application: a Debian package name, or the path of an executable on this machine
 * @param command the command the VM runs (empty: the application's own program)
 * @param name the VM's name (in vm.cfg and as its host name)
 * @param packages extra Debian packages
 * @param files extra files: host path and path in the image
 * @param env environment of the command
 * @param workdir working directory of the command
 * @param memory the VM's memory in MiB (0: from the image's size)
 * @param vcpus the VM's vCPUs
 * @param excludes packages to leave out, beside the default ones
 * @param kernel the VM's kernel: the small one built for it, or Debian's
 * @param network whether the VM has a network interface (and netfront)
 * @param noxs whether the VM is a noxs guest: its devices from noxs's device page (noxs-front built
 *     into the small kernel), no XenStore
 * @param bridge the Dom0 bridge of its vif
 * @param ip the VM's address: {@code ADDRESS/PREFIX}, {@code dhcp}, or empty for none
 * @param gateway the default route's gateway, or empty
 * @param out the output folder
 * @param bootDir where the output folder is seen by the Dom0 that boots the VM (vm.cfg's paths)
 * @param base a root file system folder to start from (e.g. a debootstrap), for comparisons
 */
public record Spec(
    String app,
    List<String> command,
    String name,
    List<String> packages,
    List<FileSpec> files,
    Map<String, String> env,
    String workdir,
    int memory,
    int vcpus,
    List<String> excludes,
    KernelSpec kernel,
    boolean network,
    boolean noxs,
    String bridge,
    Optional<String> ip,
    Optional<String> gateway,
    Path out,
    Optional<String> bootDir,
    Optional<Path> base) {

  /**
   * A Debian package name (Debian Policy 5.6.1: lower-case letters, digits, {@code + - .}, starting
   * with a letter or digit), with an architecture if given: never an option for apt.
   */
  private static final Pattern PACKAGE = Pattern.compile("[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?");

  /** A character that would break a line in vm.cfg or a script: no name or path holds one. */
  private static final Pattern CONTROL = Pattern.compile("\\p{Cntrl}");

  public Spec {
    if (CONTROL.matcher(app).find()) {
      throw new IllegalArgumentException(
          "APP " + app.replaceAll("\\p{Cntrl}", "?") + " has a control character (a line break?)");
    }
    if (!app.contains("/")) {
      requirePackage(app, "APP");
    }
    packages.forEach(p -> requirePackage(p, "--package"));
    excludes.forEach(p -> requirePackage(p, "--exclude"));
    command = List.copyOf(command);
    packages = List.copyOf(packages);
    files = List.copyOf(files);
    env = Map.copyOf(env);
    excludes = List.copyOf(excludes);
    if (noxs && !kernel.small()) {
      throw new IllegalArgumentException(
          "--noxs needs the small kernel, which builds noxs-front in; Debian's kernel would need"
              + " it as a module (kernel-patches/linux/noxs-front, docs/noxs.md)");
    }
  }

  private static void requirePackage(String name, String what) {
    if (!PACKAGE.matcher(name).matches()) {
      throw new IllegalArgumentException(
          what
              + " "
              + name.replaceAll("\\p{Cntrl}", "?")
              + " is not a Debian package name (lower-case letters, digits, + - . and a letter or"
              + " digit first), nor a path (an executable's has a /)");
    }
  }

  /**
   * The VM's kernel.
   *
   * @param small whether it is the small kernel built for the VM (else Debian's)
   * @param source the small kernel's Debian source package
   * @param config the small kernel's extra config symbols ({@code CONFIG_NAME=VALUE})
   * @param debianPackage Debian's kernel package (empty: the one linux-image-amd64 names)
   * @param modules Debian's kernel's extra modules to load at boot
   */
  public record KernelSpec(
      boolean small,
      String source,
      List<String> config,
      Optional<String> debianPackage,
      List<String> modules) {
    /** The source package of the small kernel when none is given. */
    public static final String DEFAULT_SOURCE = "linux-source-6.1";

    public KernelSpec {
      requirePackage(source, "--kernel-source");
      debianPackage.ifPresent(p -> requirePackage(p, "--kernel-package"));
      config.forEach(KernelConfig::check);
      config = List.copyOf(config);
      modules = List.copyOf(modules);
      if (small && !modules.isEmpty()) {
        throw new IllegalArgumentException(
            "--module needs --kernel debian: the small kernel has no modules (build the driver in"
                + " with --kernel-config CONFIG_NAME=y)");
      }
      if (small && debianPackage.isPresent()) {
        throw new IllegalArgumentException("--kernel-package needs --kernel debian");
      }
      if (!small && !config.isEmpty()) {
        throw new IllegalArgumentException(
            "--kernel-config is for the small kernel, not with --kernel debian");
      }
    }

    /** The small kernel from {@link #DEFAULT_SOURCE}, with nothing added. */
    public static KernelSpec defaultSmall() {
      return new KernelSpec(true, DEFAULT_SOURCE, List.of(), Optional.empty(), List.of());
    }
  }

  /** An extra file or folder: {@code host} is copied to {@code image}. */
  public record FileSpec(Path host, String image) {
    /** Parses {@code HOST[:IMAGE]}; IMAGE defaults to HOST's absolute path. */
    public static FileSpec parse(String s) {
      int colon = s.lastIndexOf(':');
      if (colon > 0 && colon + 1 < s.length() && s.charAt(colon + 1) == '/') {
        return new FileSpec(Path.of(s.substring(0, colon)), s.substring(colon + 1));
      }
      return new FileSpec(Path.of(s), Path.of(s).toAbsolutePath().normalize().toString());
    }
  }

  /** Whether the application is a file path rather than a package name. */
  boolean appIsPath() {
    return app.contains("/");
  }
}
