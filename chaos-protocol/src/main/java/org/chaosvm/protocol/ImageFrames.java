package org.chaosvm.protocol;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A checkpoint image on a connection (docs/protocol.md, "Images"): frames of a 4-byte big-endian
 * length and that many bytes, at most {@value #MAX_FRAME}, ended by a frame of length 0. The
 * framing lets the reply that follows the image be read as a message again.
 */
public final class ImageFrames {
  /** The most one frame carries. */
  public static final int MAX_FRAME = 1 << 20;

  private ImageFrames() {}

  /**
   * A stream that sends what is written to it as frames on {@code out}; closing it sends the end
   * frame and flushes (it leaves {@code out} open).
   */
  public static OutputStream writer(OutputStream out) {
    return new OutputStream() {
      private boolean ended;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        while (length > 0) {
          int size = Math.min(length, MAX_FRAME);
          out.write(ByteBuffer.allocate(4).putInt(size).array());
          out.write(bytes, offset, size);
          offset += size;
          length -= size;
        }
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }

      @Override
      public void close() throws IOException {
        if (!ended) {
          ended = true;
          out.write(new byte[4]);
          out.flush();
        }
      }
    };
  }

  /**
   * A stream of the image's bytes read from frames on {@code in}: it ends at the end frame, and
   * fails if {@code in} ends first (the sender went away) or a frame's length is out of bounds.
   * Closing it does not close {@code in}.
   */
  public static InputStream reader(InputStream in) {
    DataInputStream data = new DataInputStream(in);
    return new InputStream() {
      private int left;
      private boolean ended;

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
        while (left == 0) {
          if (ended) {
            return -1;
          }
          int size;
          try {
            size = data.readInt();
          } catch (EOFException e) {
            throw new EOFException("the image ended before its end frame (the sender went away)");
          }
          if (size < 0 || size > MAX_FRAME) {
            throw new IOException(
                "an image frame of " + size + " bytes (at most " + MAX_FRAME + "): not an image");
          }
          if (size == 0) {
            ended = true;
          }
          left = size;
        }
        int n = in.read(bytes, offset, Math.min(length, left));
        if (n < 0) {
          throw new EOFException("the image ended within a frame (the sender went away)");
        }
        left -= n;
        return n;
      }
    };
  }
}
