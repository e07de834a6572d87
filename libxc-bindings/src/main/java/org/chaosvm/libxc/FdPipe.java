package org.chaosvm.libxc;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * A pipe (close-on-exec) between a C library that reads or writes a file descriptor (libxenguest's
 * save and restore) and Java code on another thread: each end is a descriptor and, for the Java
 * side, a stream on it. Closing an end's stream closes the end; the reader sees the end of the
 * stream once the write end is closed, the writer fails once the read end is.
 */
public final class FdPipe implements AutoCloseable {
  /** The pipe holds as much as a stream's read or write moves at once (F_SETPIPE_SZ). */
  private static final int CHUNK = FdStreams.CHUNK;

  /** fcntl's F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7). */
  private static final int F_SETPIPE_SZ = 1031;

  private int readFd;
  private int writeFd;

  private FdPipe(int readFd, int writeFd) {
    this.readFd = readFd;
    this.writeFd = writeFd;
  }

  public static FdPipe open() {
    int[] fds = new int[2];
    NativeCall.checkNonNegative(
        LibC.runtime(), "pipe2", LibC.lib().pipe2(fds, LinuxAbi.O_CLOEXEC), null);
    // A larger pipe: fewer turns between the C library's side and the Java side (at most
    // /proc/sys/fs/pipe-max-size, 1 MiB by default; a smaller pipe still works).
    grow(fds[1]);
    return new FdPipe(fds[0], fds[1]);
  }

  /** Grows the pipe (or FIFO) of {@code fd} to a stream's chunk, if it may. */
  static void grow(int fd) {
    LibC.lib().fcntl(fd, F_SETPIPE_SZ, CHUNK);
  }

  public synchronized int readFd() {
    requireOpen(readFd);
    return readFd;
  }

  public synchronized int writeFd() {
    requireOpen(writeFd);
    return writeFd;
  }

  /** A stream on the read end; closing it closes the end. */
  public InputStream readStream() {
    return FdStreams.input(readFd(), "a pipe", this::closeRead);
  }

  /** A stream on the write end; closing it closes the end (the reader then sees the end). */
  public OutputStream writeStream() {
    return FdStreams.output(writeFd(), "a pipe", this::closeWrite);
  }

  public synchronized void closeRead() {
    LibC.closeQuietly(readFd);
    readFd = -1;
  }

  public synchronized void closeWrite() {
    LibC.closeQuietly(writeFd);
    writeFd = -1;
  }

  private static void requireOpen(int fd) {
    if (fd < 0) {
      throw new IllegalStateException("this end of the pipe is closed");
    }
  }

  @Override
  public void close() {
    closeRead();
    closeWrite();
  }
}
