package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a VM's kernel comes from: the small kernel built for it, or Debian's kernel package. Each
 * says what the kernel depends on before anything is fetched (for the output's key) and then
 * fetches or builds it.
 */
interface KernelSource {
  /** The build step's name. */
  String step();

  /** What the kernel depends on: a change here rebuilds the VM. */
  String inputs();

  /** The kernel, fetched or built (or from the cache). */
  BootKernel get() throws IOException;

  /** The root image format this kernel boots. */
  RootImage rootImage();

  /** The source that {@code spec} asks for; looks up versions, fetches nothing. */
  static KernelSource of(
      Spec spec, List<String> packages, Path cache, Apt apt, PackageStore store, Progress progress)
      throws IOException {
    return spec.kernel().small()
        ? new Small(spec, packages, new KernelBuild(cache, apt, store, progress), progress)
        : new Debian(spec, apt, store, progress);
  }

  /** The small kernel: tinyconfig and what the VM needs, built from Debian's source package. */
  final class Small implements KernelSource {
    private final String source;
    private final String version;
    private final KernelConfig config;
    private final KernelBuild build;
    private final Progress progress;

    Small(Spec spec, List<String> packages, KernelBuild build, Progress progress)
        throws IOException {
      this.source = spec.kernel().source();
      this.version = build.version(source);
      this.config = KernelConfig.of(spec, packages);
      this.build = build;
      this.progress = progress;
    }

    @Override
    public String step() {
      return "build the kernel";
    }

    @Override
    public String inputs() {
      return "small, " + source + " " + version + ", config " + build.key(source, version, config);
    }

    @Override
    public BootKernel get() throws IOException {
      KernelBuild.Result r = build.build(source, version, config);
      progress.detail(
          "Linux %s %s (%s)",
          r.release(), r.cached() ? "from the cache" : "built", Report.size(Files.size(r.image())));
      return BootKernel.small(r, config, build.patches());
    }

    @Override
    public RootImage rootImage() {
      return new RootImage.Squashfs();
    }
  }

  /** Debian's kernel package, with the modules the VM loads. */
  final class Debian implements KernelSource {
    private final Spec spec;
    private final String pkg;
    private final String version;
    private final PackageStore store;
    private final Progress progress;

    Debian(Spec spec, Apt apt, PackageStore store, Progress progress) throws IOException {
      this.spec = spec;
      this.pkg =
          spec.kernel().debianPackage().isPresent()
              ? spec.kernel().debianPackage().get()
              : apt.defaultKernelPackage();
      this.version = apt.versions(List.of(pkg)).get(pkg);
      this.store = store;
      this.progress = progress;
    }

    @Override
    public String step() {
      return "fetch the kernel";
    }

    @Override
    public String inputs() {
      return "debian, " + pkg + " " + version;
    }

    @Override
    public BootKernel get() throws IOException {
      if (!store.has(pkg, version)) {
        progress.detail("%s %s", pkg, version);
      }
      Kernel kernel = Kernel.of(store.unpacked(pkg, version));
      List<String> moduleNames = new ArrayList<>();
      if (spec.network()) {
        moduleNames.add("xen-netfront");
      }
      moduleNames.addAll(spec.kernel().modules());
      List<String> moduleFiles = kernel.modules().closure(moduleNames);
      progress.detail(
          "%s, modules: %s",
          kernel.release(), moduleFiles.isEmpty() ? "none" : String.join(" ", moduleFiles));
      return BootKernel.debian(kernel, pkg, version, moduleFiles);
    }

    @Override
    public RootImage rootImage() {
      return new RootImage.Initramfs();
    }
  }
}
