package org.chaosvm.libxc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Java streams on a file descriptor that C code also uses (a pipe's end, a file libxenguest writes
 * or reads): unbuffered, so that the descriptor's offset is exactly where the Java side left it,
 * and each read or write moves at most {@link #CHUNK} bytes at once. Closing a stream runs the
 * action its maker gives (closing the descriptor, or nothing when the descriptor is someone
 * else's).
 */
public final class FdStreams {
  /** A read or write moves at most this much at once. */
  static final int CHUNK = 1 << 20;

  private FdStreams() {}

  /**
   * A direct buffer as large as the largest move asked of it, at most a {@link #CHUNK}, left
   * uncleared: a stream that moves a few bytes (an image's head) does not pay for a MiB, which in a
   * PV Dom0 costs a page fault through Xen for each of its 256 pages once written.
   */
  private static final class Chunk {
    private Pointer buffer;
    private int size;

    Pointer atLeast(int length) {
      if (length > size) {
        size = Math.min(CHUNK, Math.max(length, 2 * size));
        buffer = Memory.allocateDirect(LibC.runtime(), size, false);
      }
      return buffer;
    }
  }

  /**
   * A stream of a descriptor's reads, into a direct buffer of at most a {@link #CHUNK}: {@link
   * #readChunk} is the one read of up to {@code length} bytes into {@code buffer}, its count, or -1
   * at the end.
   */
  private abstract static class ChunkInput extends InputStream {
    private final Chunk chunk = new Chunk();

    abstract long readChunk(Pointer buffer, int length) throws IOException;

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
      int size = Math.min(length, CHUNK);
      Pointer buffer = chunk.atLeast(size);
      long n = readChunk(buffer, size);
      if (n <= 0) {
        return -1;
      }
      buffer.get(0, bytes, offset, (int) n);
      return (int) n;
    }
  }

  /** Reads from {@code fd}; {@code what} names it in errors ("a pipe", "the image"). */
  public static InputStream input(int fd, String what, Runnable onClose) {
    return new ChunkInput() {
      @Override
      long readChunk(Pointer buffer, int length) throws IOException {
        long n;
        do {
          n = LibC.lib().read(fd, buffer, length);
        } while (n < 0 && NativeCall.lastErrno(LibC.runtime()) == Errno.EINTR);
        if (n < 0) {
          throw new IOException("read from " + what + ": " + NativeCall.lastErrno(LibC.runtime()));
        }
        return n;
      }

      @Override
      public void close() {
        onClose.run();
      }
    };
  }

  /** How long a waiting read waits at once before it looks whether its stream was closed. */
  private static final int SLICE_MS = 100;

  /**
   * Reads from {@code fd}, a descriptor left non-blocking ({@code O_NONBLOCK}, as {@link UserFile}
   * opens it), waiting for each next bytes at most {@code idle}: a read that gets nothing within it
   * fails, naming {@code what}. Closing the stream, from any thread, ends a read that waits within
   * a tenth of a second (a blocked read of a pipe would not end when another thread closes the
   * descriptor); the descriptor stays open, its owner's to close.
   */
  public static InputStream waiting(int fd, String what, Duration idle) {
    Pointer pollFd = Memory.allocateDirect(LibC.runtime(), 8, true); // struct pollfd
    pollFd.putInt(0, fd);
    pollFd.putShort(4, (short) LinuxAbi.POLLIN);
    return new ChunkInput() {
      private volatile boolean closed;

      @Override
      long readChunk(Pointer buffer, int length) throws IOException {
        long deadline = System.nanoTime() + idle.toNanos();
        while (true) {
          if (closed) {
            throw new IOException("read from " + what + ": the stream was closed");
          }
          long n = LibC.lib().read(fd, buffer, length);
          if (n >= 0) {
            return n;
          }
          Errno errno = NativeCall.lastErrno(LibC.runtime());
          if (errno != Errno.EAGAIN && errno != Errno.EINTR) {
            throw new IOException("read from " + what + ": " + errno);
          }
          long left = (deadline - System.nanoTime()) / 1_000_000;
          if (left <= 0) {
            throw new IOException(what + " sent nothing more within " + said(idle));
          }
          LibC.lib().poll(pollFd, 1, (int) Math.min(left, SLICE_MS)); // EINTR: read again
        }
      }

      @Override
      public void close() {
        closed = true;
      }
    };
  }

  private static String said(Duration wait) {
    return wait.toMillis() % 1000 == 0 ? wait.toSeconds() + " s" : wait.toMillis() + " ms";
  }

  /** Writes to {@code fd}; {@code what} names it in errors. */
  public static OutputStream output(int fd, String what, Runnable onClose) {
    Chunk chunk = new Chunk();
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
          int size = Math.min(length, CHUNK);
          Pointer buffer = chunk.atLeast(size);
          buffer.put(0, bytes, offset, size);
          int at = 0;
          while (at < size) {
            long n = LibC.lib().write(fd, buffer.slice(at), size - at);
            if (n < 0) {
              Errno errno = NativeCall.lastErrno(LibC.runtime());
              if (errno == Errno.EINTR) {
                continue;
              }
              throw new IOException("write to " + what + ": " + errno);
            }
            at += (int) n;
          }
          offset += size;
          length -= size;
        }
      }

      @Override
      public void close() {
        onClose.run();
      }
    };
  }
}
