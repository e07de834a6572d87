package org.chaosvm.libxc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A pipe (close-on-exec) between a C library that reads or writes a file descriptor (libxenguest's
 * save and restore) and Java code on another thread: each end is a descriptor and, for the Java
 * side, a stream on it. Closing an end's stream closes the end; the reader sees the end of the
 * stream once the write end is closed, the writer fails once the read end is.
 */
public final class FdPipe implements AutoCloseable {
  /** A read or write moves at most this much at once. */
  private static final int CHUNK = 1 << 16;

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
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
          return 0;
        }
        byte[] chunk = new byte[Math.min(length, CHUNK)];
        long n;
        do {
          n = LibC.lib().read(fd, chunk, chunk.length);
        } while (n < 0 && NativeCall.lastErrno(LibC.runtime()) == Errno.EINTR);
        if (n < 0) {
          throw new IOException("read from a pipe: " + NativeCall.lastErrno(LibC.runtime()));
        }
        if (n == 0) {
          return -1;
        }
        System.arraycopy(chunk, 0, buffer, offset, (int) n);
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
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] buffer, int offset, int length) throws IOException {
        while (length > 0) {
          int size = Math.min(length, CHUNK);
          byte[] chunk =
              offset == 0 && size == buffer.length
                  ? buffer
                  : Arrays.copyOfRange(buffer, offset, offset + size);
          long n = LibC.lib().write(fd, chunk, size);
          if (n < 0) {
            Errno errno = NativeCall.lastErrno(LibC.runtime());
            if (errno == Errno.EINTR) {
              continue;
            }
            throw new IOException("write to a pipe: " + errno);
          }
          offset += (int) n;
          length -= (int) n;
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
