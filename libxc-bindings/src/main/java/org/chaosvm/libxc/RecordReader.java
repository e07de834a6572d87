package org.chaosvm.libxc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Reads a migration stream (v2) from a descriptor, as {@link PvRestore} takes it: headers, record
 * bodies, and a batch's pages into native memory. Each record's body is read with the header of the
 * record after it, in the same read (as much of it as the read gives): every record but END has one
 * after it, and in a PV Dom0 under TCG a read spared is a fraction of a ms. Nothing past END is
 * read: a migration's decision may follow it on the same descriptor.
 */
final class RecordReader {
  /** A record's header: its type and length. */
  static final int HEADER = 8;

  /** The buffer most reads go into (a vCPU's context, 5 KiB, with the next header). */
  private static final int SCRATCH = 2 * RestoredPages.PAGE;

  private final int fd;
  private final DomId domid;
  private final Pointer scratch = Memory.allocateDirect(LibC.runtime(), SCRATCH, false);
  private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
  private long position;
  private byte[] ahead = new byte[0];

  /** A reader of {@code fd}, whose failures name {@code domid}. */
  RecordReader(int fd, DomId domid) {
    this.fd = fd;
    this.domid = domid;
  }

  /** The stream's byte order, as its image header says; little-endian until told. */
  void order(ByteOrder order) {
    this.order = order;
  }

  ByteOrder order() {
    return order;
  }

  /** The next {@code length} bytes, and nothing more. */
  ByteBuffer read(int length) {
    Pointer into = buffer(length);
    readInto(into, length, length);
    return copied(into, length);
  }

  /**
   * The next {@code length} bytes, which a record header follows: as much of it as comes with them
   * is kept for {@link #nextHeader}.
   */
  ByteBuffer readWithAhead(int length) {
    Pointer into = buffer(length + HEADER);
    readWithAhead(into, length);
    return copied(into, length);
  }

  /**
   * The next {@code length} bytes into {@code into} (at least {@code length} + {@link #HEADER}
   * long), which a record header follows: as much of it as comes with them is kept for {@link
   * #nextHeader}.
   */
  void readWithAhead(Pointer into, int length) {
    keepAhead(into, length, readInto(into, length, length + HEADER));
  }

  /** The next record's header: what was read of it ahead, and the rest. */
  ByteBuffer nextHeader() {
    byte[] header = new byte[HEADER];
    System.arraycopy(ahead, 0, header, 0, ahead.length);
    if (ahead.length < HEADER) {
      int rest = HEADER - ahead.length;
      readInto(scratch, rest, rest);
      scratch.get(0, header, ahead.length, rest);
    }
    ahead = new byte[0];
    return ByteBuffer.wrap(header).order(order);
  }

  private Pointer buffer(int length) {
    return length <= SCRATCH ? scratch : Memory.allocateDirect(LibC.runtime(), length, false);
  }

  private ByteBuffer copied(Pointer from, int length) {
    byte[] bytes = new byte[length];
    from.get(0, bytes, 0, length);
    return ByteBuffer.wrap(bytes).order(order);
  }

  private void keepAhead(Pointer buffer, int from, long to) {
    ahead = new byte[(int) (to - from)];
    buffer.get(from, ahead, 0, ahead.length);
  }

  /**
   * Reads at least {@code least} bytes into {@code into}, and at most {@code most} (no read is made
   * once {@code least} are in); answers how many.
   */
  private long readInto(Pointer into, long least, long most) {
    long done = 0;
    while (done < least) {
      long n = LibC.lib().read(fd, into.slice(done), most - done);
      if (n < 0) {
        Errno errno = NativeCall.lastErrno(LibC.runtime());
        if (errno == Errno.EINTR) {
          continue;
        }
        throw new XenException(PvRestore.FUNCTION, errno, domid, "cannot read the stream");
      }
      if (n == 0) {
        throw new XenException(
            PvRestore.FUNCTION,
            Errno.EINVAL,
            domid,
            "the stream ends after " + (position + done) + " bytes, within a record");
      }
      done += n;
    }
    position += done;
    return done;
  }
}
