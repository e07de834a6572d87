package org.chaosvm.daemon.server;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Where the daemon's socket may be made, and what may be there already. The daemon runs as root and
 * gives the socket to a group, so the path is checked without following links: the socket's folder
 * must be the daemon's own (its user's, not a link, writable by nobody else), so that no one else
 * can put a link or a file where the daemon will chown and chmod; a file already at the path is
 * replaced only if it is a socket no daemon answers on. Anything else stops the start with a
 * message naming it; nothing that is not a socket is ever deleted.
 */
final class SocketFile {
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private SocketFile() {}

  /** Makes {@code path} ready for a bind, or says why it cannot be. */
  static void clear(Path path) throws IOException {
    Path folder = path.toAbsolutePath().getParent();
    if (Files.notExists(folder, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(folder);
      // whatever the umask: the clients must reach the socket in it, and none may write there
      Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    checkFolder(folder);
    if (Files.notExists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Map<String, Object> file = Files.readAttributes(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if (((int) file.get("mode") & S_IFMT) != S_IFSOCK) {
      throw new IOException(
          path
              + " exists and is not a socket ("
              + kind(path)
              + "): chaos-daemon replaces only a socket it left there; move it away or give"
              + " --socket another path");
    }
    if (answers(path)) {
      throw new IOException("another daemon is listening on " + path);
    }
    Files.delete(path); // a dead daemon's
  }

  private static void checkFolder(Path folder) throws IOException {
    if (Files.isSymbolicLink(folder)) {
      throw new IOException(
          "the socket's folder "
              + folder
              + " is a symbolic link: give --socket a path in a real folder");
    }
    Map<String, Object> attributes =
        Files.readAttributes(folder, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
    int mode = (int) attributes.get("mode");
    int uid = (int) attributes.get("uid");
    int self = (int) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    if (uid != self || (mode & 0022) != 0) {
      throw new IOException(
          String.format(
              "the socket's folder %s is not chaos-daemon's own (owner uid %d, mode %04o): it must"
                  + " belong to the daemon's user (uid %d) and be writable by no one else, or"
                  + " another user could swap the socket for a link",
              folder, uid, mode & 07777, self));
    }
  }

  private static String kind(Path path) {
    if (Files.isSymbolicLink(path)) {
      return "a symbolic link";
    } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      return "a folder";
    } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
      return "a regular file";
    }
    return "a device or a pipe";
  }

  private static boolean answers(Path path) {
    try {
      SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
