package org.chaosvm.libxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import jnr.ffi.Memory;
import jnr.ffi.Struct;

/**
 * A loop device bound to an image file, so that blkback, which serves block devices only, can serve
 * the file. It is bound with {@code LO_FLAGS_AUTOCLEAR}: the kernel unbinds it when the last opener
 * closes it. This object is one opener; blkback, once it serves the device, is another. So the
 * device stays bound while either holds it, and nothing has to unbind it: not after a guest's
 * destroy, not after the daemon that bound it was killed.
 */
public final class LoopDevice implements AutoCloseable {
  private static final int ATTEMPTS = 16;

  private final int number;
  private int fd;

  private LoopDevice(int number, int fd) {
    this.number = number;
    this.fd = fd;
  }

  /** Binds a free loop device to {@code file}, read-only unless {@code writable}. */
  public static LoopDevice attach(Path file, boolean writable) {
    LibC.Native lib = LibC.lib();
    int backing = LibC.open(file.toString(), writable ? LinuxAbi.O_RDWR : LinuxAbi.O_RDONLY);
    try {
      int control = LibC.open("/dev/loop-control", LinuxAbi.O_RDWR);
      try {
        for (int attempt = 1; ; attempt++) {
          int number =
              NativeCall.checkNonNegative(
                  LibC.runtime(),
                  "ioctl(LOOP_CTL_GET_FREE)",
                  lib.ioctl(control, LinuxAbi.LOOP_CTL_GET_FREE, 0L),
                  null);
          int loop = LibC.open("/dev/loop" + number, LinuxAbi.O_RDWR);
          LoopConfig config = new LoopConfig(LibC.runtime());
          config.useMemory(Memory.allocateDirect(LibC.runtime(), Struct.size(config), true));
          config.fd.set(backing);
          config.info.lo_flags.set(
              LinuxAbi.LO_FLAGS_AUTOCLEAR | (writable ? 0 : LinuxAbi.LO_FLAGS_READ_ONLY));
          // the file's own path, not a /proc/self/fd/N it was reached by (UserFile)
          String name = realPath(file);
          config.info.lo_file_name.set(
              name.length() < LinuxAbi.LO_NAME_SIZE
                  ? name
                  : name.substring(name.length() - LinuxAbi.LO_NAME_SIZE + 1));
          if (lib.ioctl(loop, LinuxAbi.LOOP_CONFIGURE, Struct.getMemory(config)) == 0) {
            return new LoopDevice(number, loop);
          }
          Errno errno = NativeCall.lastErrno(LibC.runtime());
          LibC.closeQuietly(loop);
          if (errno != Errno.EBUSY || attempt == ATTEMPTS) {
            // Another binder took the device between GET_FREE and CONFIGURE: EBUSY, try again.
            throw new XenException(
                "ioctl(LOOP_CONFIGURE, /dev/loop" + number + ")", errno, null, name);
          }
        }
      } finally {
        LibC.closeQuietly(control);
      }
    } finally {
      LibC.closeQuietly(backing);
    }
  }

  /** {@code /dev/loopN}. */
  public Path path() {
    return Path.of("/dev/loop" + number);
  }

  /** The file a loop device is bound to, or empty when it is not bound. */
  public static Optional<Path> backingFile(Path loopDevice) {
    Path file =
        Path.of("/sys/class/block")
            .resolve(loopDevice.getFileName().toString())
            .resolve("loop/backing_file");
    try {
      return Optional.of(Path.of(Files.readString(file).strip()));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Gives up this opener; the kernel unbinds the device when blkback has let go of it too. */
  @Override
  public void close() {
    LibC.closeQuietly(fd);
    fd = -1;
  }

  private static String realPath(Path file) {
    try {
      return file.toRealPath().toString();
    } catch (IOException e) {
      return file.toString();
    }
  }
}
