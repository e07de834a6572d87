package org.chaosvm.libxc;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * libxenguest's save stream (Xen's migration stream v2, docs/specs/libxc-migration-stream in Xen's
 * sources) as far as one needs to know where it ends: an image header (24 bytes, big-endian: a
 * marker of all ones, the id "XENF", its version, its options), a domain header (16 bytes), then
 * records, each a type and a length (in the byte order the options name), its body padded to 8
 * bytes, the last one the END record (type 0). {@code xc_domain_restore} reads exactly that much,
 * so what follows the stream on the same connection (a migration's decision) is left for the
 * caller.
 */
public final class MigrationStream {
  private static final int IMAGE_HEADER = 24;
  private static final int DOMAIN_HEADER = 16;
  private static final int RECORD_HEADER = 8;
  private static final long MARKER = -1L;
  private static final int ID = 0x58454E46; // "XENF"
  private static final int BIG_ENDIAN_OPTION = 1;
  private static final int END = 0;

  /** Xen's own bound on a record's length (REC_LENGTH_MAX, 128 MiB). */
  private static final int RECORD_MAX = 128 << 20;

  private MigrationStream() {}

  /**
   * A stream of the bytes of the one migration stream {@code in} starts with, which ends after its
   * END record and leaves {@code in} there. It fails if {@code in} ends before (an {@link
   * EOFException} that says where) or does not hold such a stream. Closing it does not close {@code
   * in}.
   */
  public static InputStream one(InputStream in) {
    return new InputStream() {
      private byte[] header = new byte[0];
      private int headerAt;
      private long body;
      private boolean started;
      private boolean ended;
      private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
      private long read;

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
        while (headerAt == header.length && body == 0) {
          if (ended) {
            return -1;
          }
          next();
        }
        if (headerAt < header.length) {
          int n = Math.min(length, header.length - headerAt);
          System.arraycopy(header, headerAt, bytes, offset, n);
          headerAt += n;
          return n;
        }
        int n = in.read(bytes, offset, (int) Math.min(length, body));
        if (n < 0) {
          throw new EOFException(
              "libxenguest's stream ends within a record, after " + read + " bytes");
        }
        body -= n;
        read += n;
        return n;
      }

      /** Reads the next headers: the image's and the domain's first, then a record's. */
      private void next() throws IOException {
        if (!started) {
          started = true;
          byte[] image = fully(IMAGE_HEADER + DOMAIN_HEADER);
          ByteBuffer big = ByteBuffer.wrap(image);
          if (big.getLong(0) != MARKER || big.getInt(8) != ID) {
            throw new IOException("not a libxenguest stream (no XENF image header)");
          }
          if ((big.getShort(16) & BIG_ENDIAN_OPTION) != 0) {
            order = ByteOrder.BIG_ENDIAN;
          }
          header = image;
        } else {
          byte[] record = fully(RECORD_HEADER);
          ByteBuffer fields = ByteBuffer.wrap(record).order(order);
          int type = fields.getInt(0);
          long size = Integer.toUnsignedLong(fields.getInt(4));
          if (size > RECORD_MAX) {
            throw new IOException(
                "a libxenguest record of " + size + " bytes (at most " + RECORD_MAX + ")");
          }
          body = (size + 7) & ~7L;
          ended = type == END;
          header = record;
        }
        headerAt = 0;
      }

      private byte[] fully(int size) throws IOException {
        byte[] bytes = in.readNBytes(size);
        read += bytes.length;
        if (bytes.length < size) {
          throw new EOFException(
              "libxenguest's stream ends within a header, after " + read + " bytes");
        }
        return bytes;
      }
    };
  }
}
