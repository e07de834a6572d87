package org.chaosvm.libxc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A file opened with a user's rights rather than the caller's (a root daemon's, whose rights are
 * all): the open runs on the calling thread with that thread's file-system ids and groups set to
 * the user's ({@code setfsuid}, {@code setfsgid}, {@code setgroups}, which Linux keeps per thread;
 * the raw system calls, as glibc's wrappers of setgroups change every thread). So the kernel
 * resolves the path, links included, and checks each folder and the file as it would for the user
 * itself. The file stays open until {@link #close}; {@link #path} names this very open file ({@code
 * /proc/self/fd/N}) whatever becomes of the path it was opened by, so that code which takes paths
 * (loop devices, Xen's image loader) uses the file the user could open and no other.
 */
public final class UserFile implements AutoCloseable {
  private final int fd;
  private final Path opened;
  private int type = -1;

  private UserFile(int fd, Path opened) {
    this.fd = fd;
    this.opened = opened;
  }

  /**
   * Opens {@code path} as {@code user} would, read-only unless {@code writable}.
   *
   * @throws XenException naming {@code open(PATH)} and the errno (EACCES, ENOENT...)
   */
  public static UserFile open(UnixUser user, Path path, boolean writable) {
    return open(user, path, writable ? LinuxAbi.O_RDWR : LinuxAbi.O_RDONLY);
  }

  /**
   * Opens {@code path} as {@code user} would, to write it from its start: the file, which must be
   * there, is emptied (a regular file's content; a device's is not).
   *
   * @throws XenException naming {@code open(PATH)} and the errno (EACCES, ENOENT, EROFS...)
   */
  public static UserFile openToWrite(UnixUser user, Path path) {
    return open(user, path, LinuxAbi.O_WRONLY | LinuxAbi.O_TRUNC);
  }

  private static UserFile open(UnixUser user, Path path, int mode) {
    // O_NONBLOCK: a FIFO put where a file was expected must not hold the thread (as the user) in
    // its open; on files and block devices it changes nothing.
    int flags = mode | LinuxAbi.O_NONBLOCK;
    if (user.uid() == 0 && Process.ROOT) {
      // Root's rights are the daemon's own: its groups change nothing (the file-system ids are
      // root's, which the kernel's checks let through), and the nine system calls of switching
      // to them and back cost a few ms in a PV Dom0 under TCG.
      return new UserFile(LibC.open(path.toString(), flags), path);
    }
    Ids saved = Ids.become(user);
    int fd;
    try {
      fd = LibC.open(path.toString(), flags);
    } finally {
      saved.restore();
    }
    return new UserFile(fd, path);
  }

  /** This process's own identity, looked up once. */
  private static final class Process {
    static final boolean ROOT = LibC.lib().geteuid() == 0;
  }

  /** The open file, as a path any code in this process may open (again) while this is open. */
  public Path path() {
    return Path.of("/proc/self/fd/" + fd);
  }

  /** The open file's descriptor, for C code that reads or writes it; this keeps it. */
  public int fd() {
    return fd;
  }

  /**
   * A stream that reads the file from where its offset is, and leaves the offset after the last
   * byte it returned; closing it leaves the file open.
   */
  public InputStream input() {
    return FdStreams.input(fd, opened.toString(), () -> {});
  }

  /**
   * A stream that reads a pipe or FIFO as it was opened (non-blocking), waiting at most {@code
   * idle} for each next bytes ({@link FdStreams#waiting}); closing it, from any thread, ends a read
   * that waits, and leaves the file open.
   */
  public InputStream input(Duration idle) {
    return FdStreams.waiting(fd, opened.toString(), idle);
  }

  /** A stream that writes the file at its offset; closing it leaves the file open. */
  public OutputStream output() {
    return FdStreams.output(fd, opened.toString(), () -> {});
  }

  /** Where the file's offset is: how far it has been read or written. */
  public long position() {
    long at = LibC.lib().lseek(fd, 0, LinuxAbi.SEEK_CUR);
    if (at < 0) {
      throw new XenException(
          "lseek",
          NativeCall.lastErrno(LibC.runtime()),
          null,
          "cannot tell where " + opened + " is");
    }
    return at;
  }

  /** Whether the open file is a FIFO (a named pipe). */
  public boolean isFifo() {
    return type() == LinuxAbi.S_IFIFO;
  }

  /**
   * The open file's type (its mode's S_IFMT bits), looked up once: an open file's type does not
   * change, and each look-up is a stat through {@code /proc}. 0 if it cannot be told.
   */
  private int type() {
    if (type < 0) {
      try {
        type = (Integer) Files.getAttribute(path(), "unix:mode") & LinuxAbi.S_IFMT;
      } catch (IOException | UnsupportedOperationException e) {
        type = 0;
      }
    }
    return type;
  }

  /**
   * Makes reads and writes wait (the open did not, {@code O_NONBLOCK}): a FIFO's writer then waits
   * for its reader to take what it wrote, as C code that writes it expects. A FIFO's buffer grows
   * to a stream's chunk, as {@link FdPipe}'s.
   */
  public void blocking() {
    String what = opened.toString();
    int flags =
        NativeCall.checkNonNegative(
            LibC.runtime(), "fcntl", LibC.lib().fcntl(fd, LinuxAbi.F_GETFL, 0), null, () -> what);
    NativeCall.checkNonNegative(
        LibC.runtime(),
        "fcntl",
        LibC.lib().fcntl(fd, LinuxAbi.F_SETFL, flags & ~LinuxAbi.O_NONBLOCK),
        null,
        () -> what);
    if (isFifo()) {
      FdPipe.grow(fd);
    }
  }

  /**
   * Makes the FIFO {@code path} (mode 0600: its owner alone may open it), as the process's own
   * user.
   *
   * @throws XenException if it cannot (the path exists, its folder cannot be written)
   */
  public static void makeFifo(Path path) {
    NativeCall.checkNonNegative(
        LibC.runtime(), "mkfifo", LibC.lib().mkfifo(path.toString(), 0600), null, path::toString);
  }

  /** Whether the open file is a regular file (not a device, a FIFO, a socket or a folder). */
  public boolean isRegularFile() {
    return type() == LinuxAbi.S_IFREG;
  }

  /** The path it was opened by. */
  public Path opened() {
    return opened;
  }

  @Override
  public void close() {
    LibC.closeQuietly(fd);
  }

  /** The calling thread's file-system ids and groups, to be put back. */
  private record Ids(int fsuid, int fsgid, int[] groups) {
    static Ids become(UnixUser user) {
      LibC.Native lib = LibC.lib();
      int[] groups = currentGroups();
      int[] target = user.groups().stream().mapToInt(Integer::intValue).toArray();
      check("setgroups", (int) lib.syscall(LinuxAbi.SYS_setgroups, target.length, target));
      // setfsuid and setfsgid answer the previous id and cannot report a failure: a second call
      // with -1 (no change) answers the id now in force.
      int fsgid = (int) lib.syscall(LinuxAbi.SYS_setfsgid, user.gid());
      int fsuid = (int) lib.syscall(LinuxAbi.SYS_setfsuid, user.uid());
      Ids saved = new Ids(fsuid, fsgid, groups);
      if ((int) lib.syscall(LinuxAbi.SYS_setfsuid, -1) != user.uid()
          || (int) lib.syscall(LinuxAbi.SYS_setfsgid, -1) != user.gid()) {
        saved.restore();
        throw new XenException(
            "setfsuid(" + user.uid() + ")", Errno.EPERM, null, "cannot act as " + user.name());
      }
      return saved;
    }

    void restore() {
      LibC.Native lib = LibC.lib();
      lib.syscall(LinuxAbi.SYS_setfsuid, fsuid);
      lib.syscall(LinuxAbi.SYS_setfsgid, fsgid);
      check("setgroups", (int) lib.syscall(LinuxAbi.SYS_setgroups, groups.length, groups));
    }

    private static int check(String function, int rc) {
      return NativeCall.checkNonNegative(LibC.runtime(), function, rc, null);
    }
  }

  /**
   * The calling thread's supplementary groups ({@code getgroups}: a size of 0 answers how many, and
   * the thread's groups do not change between the two calls).
   */
  private static int[] currentGroups() {
    LibC.Native lib = LibC.lib();
    int count = Ids.check("getgroups", (int) lib.syscall(LinuxAbi.SYS_getgroups, 0, new int[0]));
    int[] groups = new int[count];
    Ids.check("getgroups", (int) lib.syscall(LinuxAbi.SYS_getgroups, count, groups));
    return groups;
  }

  /** For tests: the groups a thread has now. */
  static List<Integer> threadGroups() {
    return java.util.Arrays.stream(currentGroups()).boxed().toList();
  }
}
