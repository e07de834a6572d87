package org.chaosvm.libxc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A pipe (close-on-exec) between a C library that reads or writes a file descriptor (libxenguest's
 * save and restore) and Java code on another thread: each end is a descriptor and, for the Java
 * side, a stream on it. Closing an end's stream closes the end; the reader sees the end of the
 * stream once the write end is closed, the writer fails once the read end is.
 */
public final class FdPipe implements AutoCloseable {
  /** A read or write moves at most this much at once; the pipe holds as much (F_SETPIPE_SZ). */
  private static final int CHUNK = 1 << 20;

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
    LibC.lib().fcntl(fds[1], F_SETPIPE_SZ, CHUNK);
    return new FdPipe(fds[0], fds[1]);
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
    int fd = readFd();
    Pointer buffer = Memory.allocateDirect(LibC.runtime(), CHUNK);
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] bytes, int offset, int length) throws IOException {
        if (length == 0) {
          return 0;
        }
        long n;
        do {
          n = LibC.lib().read(fd, buffer, Math.min(length, CHUNK));
        } while (n < 0 && NativeCall.lastErrno(LibC.runtime()) == Errno.EINTR);
        if (n < 0) {
          throw new IOException("read from a pipe: " + NativeCall.lastErrno(LibC.runtime()));
        }
        if (n == 0) {
          return -1;
        }
        buffer.get(0, bytes, offset, (int) n);
        return (int) n;
      }

      @Override
      public void close() {
        closeRead();
      }
    };
  }

  /** A stream on the write end; closing it closes the end (the reader then sees the end). */
  public OutputStream writeStream() {
    int fd = writeFd();
    Pointer buffer = Memory.allocateDirect(LibC.runtime(), CHUNK);
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
          int size = Math.min(length, CHUNK);
          buffer.put(0, bytes, offset, size);
          int at = 0;
          while (at < size) {
            long n = LibC.lib().write(fd, buffer.slice(at), size - at);
            if (n < 0) {
              Errno errno = NativeCall.lastErrno(LibC.runtime());
              if (errno == Errno.EINTR) {
                continue;
              }
              throw new IOException("write to a pipe: " + errno);
            }
            at += (int) n;
          }
          offset += size;
          length -= size;
        }
      }

      @Override
      public void close() {
        closeWrite();
      }
    };
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
