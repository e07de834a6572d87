package org.chaosvm.daemon.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.chaosvm.libxc.KernelImage;

/**
 * Kernels as the domain builder holds them after parsing: a bzImage decompressed once, not on every
 * create (under TCG that is 6 of the 6.2 s a Debian kernel's create takes). Keyed by the file's
 * identity (device and inode, whatever path reached it: a member's kernel comes as {@code
 * /proc/self/fd/N}, {@link CallerFiles}), size and modification time, so a replaced kernel is read
 * again; the least recently used is dropped beyond {@link #CAPACITY} kernels.
 */
final class KernelCache {
  static final int CAPACITY = 4;

  private record Key(Object file, long size, long modified) {}

  private final Map<Key, KernelImage> images =
      new LinkedHashMap<>(CAPACITY, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, KernelImage> eldest) {
          return size() > CAPACITY;
        }
      };

  synchronized Optional<KernelImage> get(Path kernel) {
    return key(kernel).map(images::get);
  }

  synchronized void put(Path kernel, KernelImage image) {
    key(kernel).ifPresent(key -> images.put(key, image));
  }

  private static Optional<Key> key(Path kernel) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(kernel, BasicFileAttributes.class);
      return Optional.of(
          new Key(
              attributes.fileKey() != null
                  ? attributes.fileKey()
                  : kernel.toAbsolutePath().normalize(),
              attributes.size(),
              attributes.lastModifiedTime().toMillis()));
    } catch (IOException e) {
      return Optional.empty(); // the builder will report the missing file
    }
  }
}
