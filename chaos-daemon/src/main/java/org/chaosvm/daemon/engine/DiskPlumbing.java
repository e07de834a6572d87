package org.chaosvm.daemon.engine;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.chaosvm.daemon.config.DiskSpec;
import org.chaosvm.libxc.BlockDevices;
import org.chaosvm.libxc.LoopDevice;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.ErrorCode;

/**
 * Dom0's side of a disk, whatever the device mechanism: what xl's {@code block} hotplug script
 * does. An image file is bound to a free loop device with autoclear (the kernel unbinds it when its
 * last opener closes it); this daemon holds it open until the disk goes, the back end being the
 * other opener. A block device is given to the back end as it is. The only state kept here is this
 * daemon's hold on its loop devices, by the key the mechanism gives each disk.
 */
final class DiskPlumbing {
  /**
   * What backs a disk: a block device, if the path is one, else an image file (xl's deprecated
   * {@code phy:} and {@code file:} prefixes say nothing: xl ignores them too).
   */
  record Target(Path path, boolean blockDevice) {
    static Target of(DiskSpec disk) {
      Path path = Path.of(disk.target());
      return new Target(path, BlockDevices.physicalDevice(path).isPresent());
    }

    /**
     * The path to show for it (in XenStore's {@code params}): the file's own for one a member's
     * rights opened ({@code /proc/self/fd/N}, {@link CallerFiles}), else the path as given.
     */
    String shown() {
      return path.startsWith("/proc/self/fd") ? realPath(path).toString() : path.toString();
    }
  }

  /**
   * A disk's block device in Dom0.
   *
   * @param path the block device the back end serves (the loop device, for an image)
   * @param majorMinor its {@code MAJOR:MINOR}
   */
  record Bound(Target target, Path path, String majorMinor) {}

  private final Map<String, LoopDevice> loops = new HashMap<>();

  /**
   * Gives the disk a block device: an image file is bound to a loop device, held under {@code key}
   * until {@link #release}. A failure leaves nothing bound.
   */
  Bound bind(String key, DiskSpec disk) {
    Target target = Target.of(disk);
    if (target.blockDevice()) {
      return new Bound(target, target.path(), majorMinor(target.path()));
    }
    LoopDevice loop;
    try {
      loop = LoopDevice.attach(target.path(), disk.writable());
    } catch (XenException e) {
      throw new ChaosException(
          ErrorCode.CONFIG,
          "disk " + disk.vdev() + ": cannot bind " + target.path() + " to a loop device: " + e,
          e);
    }
    try {
      Bound bound = new Bound(target, loop.path(), majorMinor(loop.path()));
      synchronized (loops) {
        loops.put(key, loop);
      }
      return bound;
    } catch (RuntimeException e) {
      loop.close();
      throw e;
    }
  }

  /** Lets go of the loop device held under {@code key}, if any. */
  void release(String key) {
    LoopDevice held;
    synchronized (loops) {
      held = loops.remove(key);
    }
    if (held != null) {
      held.close();
    }
  }

  private static String majorMinor(Path device) {
    return BlockDevices.physicalDevice(device)
        .orElseThrow(
            () -> new ChaosException(ErrorCode.XEN, device + " is not a block device of Dom0"));
  }

  /** The file's path as a loop device reports its backing file. */
  static Path realPath(Path file) {
    try {
      return file.toRealPath();
    } catch (java.io.IOException e) {
      return file.toAbsolutePath().normalize();
    }
  }
}
