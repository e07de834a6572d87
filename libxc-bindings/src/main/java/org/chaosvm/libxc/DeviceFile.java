package org.chaosvm.libxc;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A character device of Dom0 driven by ioctls whose argument is one struct, passed as its bytes:
 * the caller encodes the struct before the call and decodes what the driver wrote back (noxs-core's
 * back ends, with layouts of their own). Failures are {@link XenException}s named after the ioctl,
 * with the driver's errno and the domain the call is about.
 */
public final class DeviceFile implements AutoCloseable {
  private final Path path;
  private int fd;

  private DeviceFile(Path path, int fd) {
    this.path = path;
    this.fd = fd;
  }

  /** Opens the device read-write; fails (ENOENT) when its driver is not loaded. */
  public static DeviceFile open(Path path) {
    return new DeviceFile(path, LibC.open(path.toString(), LinuxAbi.O_RDWR));
  }

  public Path path() {
    return path;
  }

  /**
   * One ioctl: {@code argument}'s bytes (all of its capacity) go to the driver, and what it leaves
   * there comes back into {@code argument}. {@code domain} may be null.
   */
  public synchronized void ioctl(String name, long request, ByteBuffer argument, DomId domain) {
    if (fd < 0) {
      throw new IllegalStateException(path + " is closed");
    }
    byte[] bytes = argument.array();
    Pointer memory = Memory.allocateDirect(LibC.runtime(), bytes.length, true);
    memory.put(0, bytes, 0, bytes.length);
    NativeCall.checkNonNegative(
        LibC.runtime(), name, LibC.lib().ioctl(fd, request, memory), domain);
    memory.get(0, bytes, 0, bytes.length);
  }

  @Override
  public synchronized void close() {
    LibC.closeQuietly(fd);
    fd = -1;
  }
}
