package org.chaosvm.daemon.engine;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import org.chaosvm.libxc.UserFile;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.ErrorCode;

/**
 * The image file a save or restore request names, opened by the daemon with the caller's rights
 * ({@link UserFile}: the kernel checks the path and the file as for the caller itself), so that
 * libxenguest writes or reads it directly, with no copy through the connection. Only a regular
 * file: a FIFO or a device could hold libxenguest, and a suspended guest, forever; but a
 * migration's source writes into the pipe its client's transport (ssh) reads, and its destination
 * reads the pipe its relay reads from the transport ({@code chaos migrate-receive}'s standard
 * input), so that the image goes from libxenguest to libxenguest without a copy through a daemon or
 * a client. When the daemon cannot open it (another view of the file system than the client's:
 * under systemd's {@code ProtectHome=read-only}, home folders are read-only for the daemon), the
 * image travels on the connection in frames instead, as it does for a migration
 * (docs/checkpoints.md, "Who opens the image file").
 */
final class ImageFiles {
  private ImageFiles() {}

  /**
   * {@code path} opened for {@code caller}, to write it from its start ({@code toWrite}: a save's,
   * a file the client has made) or to read it; empty when the daemon cannot, {@code whyNot} then
   * told why. {@code transport}: a migration's, whose FIFO or pipe is taken too, made to wait for
   * its reader or writer.
   *
   * @throws ChaosException BAD_REQUEST if {@code path} is not an absolute path
   */
  static Optional<UserFile> open(
      Caller caller, String path, boolean toWrite, boolean transport, Consumer<String> whyNot) {
    Path file;
    try {
      file = Path.of(path);
    } catch (InvalidPathException e) {
      throw new ChaosException(
          ErrorCode.BAD_REQUEST, "the image's file is not a path: " + e.getReason());
    }
    if (!file.isAbsolute()) {
      throw new ChaosException(
          ErrorCode.BAD_REQUEST, "the image's file must be an absolute path, not " + path);
    }
    UserFile opened;
    try {
      opened =
          toWrite
              ? UserFile.openToWrite(caller.user(), file)
              : UserFile.open(caller.user(), file, false);
    } catch (XenException e) {
      whyNot.accept(
          "chaos-daemon cannot "
              + (toWrite ? "write " : "read ")
              + path
              + " as "
              + caller.name()
              + ": "
              + e.errno());
      return Optional.empty();
    }
    if (transport && opened.isFifo()) {
      try {
        opened.blocking();
      } catch (XenException e) {
        opened.close();
        whyNot.accept(
            "chaos-daemon cannot " + (toWrite ? "write " : "read ") + path + ": " + e.getMessage());
        return Optional.empty();
      }
      return Optional.of(opened);
    }
    if (!opened.isRegularFile()) {
      opened.close();
      whyNot.accept(path + " is not a regular file");
      return Optional.empty();
    }
    return Optional.of(opened);
  }
}
