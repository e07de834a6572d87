package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A Debian kernel package unpacked in the store: its image and its modules. The package has no
 * {@code modules.dep} (the package's postinst makes it); {@code depmod -b} makes it in the store.
 *
 * @param release the kernel release ({@code 6.1.0-N-amd64})
 * @param image the kernel image ({@code boot/vmlinuz-RELEASE})
 * @param moduleDir the release's module folder
 * @param modules its modules
 */
record Kernel(String release, Path image, Path moduleDir, KernelModules modules) {

  static Kernel of(Path root) throws IOException {
    Path modulesRoot = root.resolve("lib/modules");
    if (!Files.isDirectory(modulesRoot)) {
      modulesRoot = root.resolve("usr/lib/modules");
    }
    List<Path> releases;
    try (Stream<Path> list = Files.list(modulesRoot)) {
      releases = list.toList();
    }
    if (releases.size() != 1) {
      throw new IOException("the kernel package holds " + releases.size() + " module folders");
    }
    String release = releases.get(0).getFileName().toString();
    Path image = root.resolve("boot/vmlinuz-" + release);
    if (!Files.isRegularFile(image)) {
      throw new IOException("the kernel package has no boot/vmlinuz-" + release);
    }
    Path moduleDir = releases.get(0);
    if (!Files.exists(moduleDir.resolve("modules.dep"))) {
      Processes.run(null, List.of("depmod", "-b", root.toString(), release));
    }
    return new Kernel(release, image, moduleDir, KernelModules.read(moduleDir));
  }
}
