package org.chaosvm.tinyx;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The kernel a VM boots, whichever way it came: its image, the modules its init loads (none for the
 * small kernel) and, for the report, where it came from, the config symbols tinyx set and the
 * patches it applied.
 *
 * @param image the kernel image (a bzImage)
 * @param release the kernel's release
 * @param origin where it came from, in a few words
 * @param moduleDir the modules' folder (null without modules)
 * @param moduleFiles the modules the init loads, in order, relative to {@code moduleDir}
 * @param config the symbols set on top of tinyconfig, by reason (empty for Debian's kernel)
 * @param patches the subjects of the patches applied to the source (empty for Debian's kernel)
 */
record BootKernel(
    Path image,
    String release,
    String origin,
    Path moduleDir,
    List<String> moduleFiles,
    Map<String, List<String>> config,
    List<String> patches) {

  static BootKernel small(KernelBuild.Result r, KernelConfig config, KernelPatches patches) {
    return new BootKernel(
        r.image(),
        r.release(),
        "small: Linux "
            + r.release()
            + " from "
            + r.sourcePackage()
            + " "
            + r.sourceVersion()
            + ", tinyconfig and "
            + config.values().size()
            + " symbols, "
            + patches.patches().size()
            + " patches",
        null,
        List.of(),
        config.byReason(),
        patches.subjects());
  }

  static BootKernel debian(
      Kernel kernel, String kernelPackage, String version, List<String> moduleFiles) {
    return new BootKernel(
        kernel.image(),
        kernel.release(),
        "Debian's " + kernelPackage + " " + version + ", release " + kernel.release(),
        kernel.moduleDir(),
        List.copyOf(moduleFiles),
        Map.of(),
        List.of());
  }
}
