package org.chaosvm.libxc;

import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A connection to xenstored's socket that speaks its wire protocol itself (Xen's
 * docs/misc/xenstore.txt: a 16-byte header, {@code struct xsd_sockmsg}, then the payload), for
 * {@link XenStore}'s transactions. libxenstore waits for each request's answer before it sends the
 * next; here a transaction's writes, directories made, removals and permissions are only queued,
 * and go out together when the body next needs an answer (a read) or ends, their answers read
 * after. Under TCG a request answered before the next is sent costs Dom0 1.6 ms warm, against 0.9
 * sent together (XenStoreBenchmark), and a guest's nodes are some 20 requests.
 *
 * <p>A queued request's failure is thrown when its answer is read: by the next read, directory or
 * permissions read, or by {@link #commit}, which reads every answer before it asks xenstored to
 * commit (xenstored would commit the writes that succeeded). The exception names the request and
 * its path. Not thread-safe; no watches (their events would come between the answers).
 *
 * <p>A thread's interrupt, which closes a channel it finds set at an I/O call, is put aside for
 * each call and set again after, so that it does not break a request: libxenstore's calls do not
 * see it either, and a create or a clean-up that a stopping daemon interrupts still needs XenStore.
 * An interrupt that comes during a call closes the connection, and that call fails.
 */
final class XenStoreWire implements AutoCloseable {
  /** {@code sizeof(struct xsd_sockmsg)}: type, req_id, tx_id, len. */
  static final int HEADER = 16;

  /**
   * At most this many queued requests: xenstored stops reading a connection that owes it too many
   * answers (its {@code quota-outstanding}, 20 by default, for unprivileged connections at least).
   */
  static final int MAX_QUEUED = 16;

  /** A request sent or queued whose answer is not read yet; {@code tolerated} is not a failure. */
  private record Owed(String operation, String path, Errno tolerated) {}

  private final SocketChannel channel;
  private final ByteBuffer out =
      ByteBuffer.allocate(MAX_QUEUED * (HEADER + XenAbi.XENSTORE_PAYLOAD_MAX));
  private final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.nativeOrder());
  private final ArrayDeque<Owed> owed = new ArrayDeque<>();
  private int nextRequest = 1;

  private XenStoreWire(SocketChannel channel) {
    this.channel = channel;
    out.order(ByteOrder.nativeOrder());
  }

  /** Connects to the socket; empty when nothing listens there (xenstored in a stub domain). */
  static Optional<XenStoreWire> connect(Path socket) {
    try {
      return Optional.of(
          new XenStoreWire(
              uninterrupted(() -> SocketChannel.open(UnixDomainSocketAddress.of(socket)))));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** An I/O call of the channel's. */
  private interface Io<T> {
    T run() throws IOException;
  }

  /** Runs {@code call} with the thread's interrupt put aside (see the class's comment). */
  private static <T> T uninterrupted(Io<T> call) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      return call.run();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts a transaction; its id. */
  int start() {
    String id = text(call(XenAbi.XS_TRANSACTION_START, XenStore.NO_TRANSACTION, "", bytes("")));
    try {
      return Integer.parseUnsignedInt(id);
    } catch (NumberFormatException e) {
      throw failure("XS_TRANSACTION_START", Errno.EPROTO, "xenstored answered '" + id + "'");
    }
  }

  /**
   * Reads every queued request's answer, then commits the transaction; false when xenstored answers
   * EAGAIN (another writer came between): run it again in a new one.
   */
  boolean commit(int transaction) {
    settle();
    try {
      call(XenAbi.XS_TRANSACTION_END, transaction, "", bytes("T"));
      return true;
    } catch (XenException e) {
      if (e.errno() == Errno.EAGAIN) {
        return false;
      }
      throw e;
    }
  }

  /** Ends the transaction without its changes; the queued requests' failures do not matter now. */
  void abort(int transaction) {
    while (!owed.isEmpty()) {
      try {
        settle();
      } catch (XenException e) {
        // the request that failed is answered; read the others
      }
    }
    call(XenAbi.XS_TRANSACTION_END, transaction, "", bytes("F"));
  }

  Optional<byte[]> read(int transaction, String path) {
    return callUnless(XenAbi.XS_READ, transaction, path, bytes(path), Errno.ENOENT);
  }

  /** The names of the node's children, or empty when the node does not exist. */
  Optional<List<String>> directory(int transaction, String path) {
    return callUnless(XenAbi.XS_DIRECTORY, transaction, path, bytes(path), Errno.ENOENT)
        .map(XenStoreWire::strings);
  }

  List<XsPermission> getPermissions(int transaction, String path) {
    List<XsPermission> list = new ArrayList<>();
    for (String entry : strings(call(XenAbi.XS_GET_PERMS, transaction, path, bytes(path)))) {
      list.add(parsePermission(entry));
    }
    return list;
  }

  void write(int transaction, String path, byte[] value) {
    byte[] name = bytes(path);
    byte[] payload = new byte[name.length + value.length];
    System.arraycopy(name, 0, payload, 0, name.length);
    System.arraycopy(value, 0, payload, name.length, value.length);
    queue(XenAbi.XS_WRITE, transaction, path, payload, Errno.UNKNOWN);
  }

  void mkdir(int transaction, String path) {
    queue(XenAbi.XS_MKDIR, transaction, path, bytes(path), Errno.UNKNOWN);
  }

  /** Removes the node and everything under it; a missing node is not an error. */
  void rm(int transaction, String path) {
    queue(XenAbi.XS_RM, transaction, path, bytes(path), Errno.ENOENT);
  }

  void setPermissions(int transaction, String path, List<XsPermission> permissions) {
    StringBuilder payload = new StringBuilder(path).append('\0');
    for (XsPermission permission : permissions) {
      payload.append(formatPermission(permission)).append('\0');
    }
    queue(
        XenAbi.XS_SET_PERMS,
        transaction,
        path,
        payload.toString().getBytes(StandardCharsets.UTF_8),
        Errno.UNKNOWN);
  }

  /** Sends what is queued and reads every answer owed; throws for the first failure. */
  void settle() {
    flush();
    while (!owed.isEmpty()) {
      answer();
    }
  }

  /** xenstored's letter for each access, at its {@code XS_PERM_*} bits: none, read, write, both. */
  private static final String ACCESS_LETTERS = "nrwb";

  /** "r5": the letter xenstored uses for the access, then the domain. */
  static String formatPermission(XsPermission permission) {
    return ACCESS_LETTERS.charAt(permission.access().bits)
        + Integer.toString(permission.domain().value());
  }

  static XsPermission parsePermission(String entry) {
    int bits = entry.isEmpty() ? -1 : ACCESS_LETTERS.indexOf(entry.charAt(0));
    if (bits >= 0) {
      try {
        return new XsPermission(
            DomId.of(Integer.parseInt(entry.substring(1))), XsPermission.Access.of(bits));
      } catch (IllegalArgumentException e) {
        // no domain after the letter: the failure below
      }
    }
    throw failure("XS_GET_PERMS", Errno.EPROTO, "permission '" + entry + "'");
  }

  /** The strings of a payload, each ended by a NUL. */
  static List<String> strings(byte[] payload) {
    List<String> list = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < payload.length; i++) {
      if (payload[i] == 0) {
        list.add(new String(payload, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    return list;
  }

  private static byte[] bytes(String text) {
    return (text + "\0").getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] payload) {
    int end = payload.length;
    while (end > 0 && payload[end - 1] == 0) {
      end--;
    }
    return new String(payload, 0, end, StandardCharsets.UTF_8);
  }

  private static String name(int type) {
    return switch (type) {
      case XenAbi.XS_DIRECTORY -> "XS_DIRECTORY";
      case XenAbi.XS_READ -> "XS_READ";
      case XenAbi.XS_GET_PERMS -> "XS_GET_PERMS";
      case XenAbi.XS_TRANSACTION_START -> "XS_TRANSACTION_START";
      case XenAbi.XS_TRANSACTION_END -> "XS_TRANSACTION_END";
      case XenAbi.XS_WRITE -> "XS_WRITE";
      case XenAbi.XS_MKDIR -> "XS_MKDIR";
      case XenAbi.XS_RM -> "XS_RM";
      case XenAbi.XS_SET_PERMS -> "XS_SET_PERMS";
      default -> "xenstored message " + type;
    };
  }

  private static XenException failure(String operation, Errno errno, String path) {
    return new XenException(operation, errno, null, path);
  }

  private void queue(int type, int transaction, String path, byte[] payload, Errno tolerated) {
    if (payload.length > XenAbi.XENSTORE_PAYLOAD_MAX) {
      throw failure(name(type), Errno.E2BIG, path);
    }
    if (owed.size() >= MAX_QUEUED || out.remaining() < HEADER + payload.length) {
      settle();
    }
    out.putInt(type).putInt(nextRequest++).putInt(transaction).putInt(payload.length).put(payload);
    owed.add(new Owed(name(type), path, tolerated));
  }

  /** Sends one request after the queued ones and waits for its answer; every answer before it. */
  private byte[] call(int type, int transaction, String path, byte[] payload) {
    return callUnless(type, transaction, path, payload, Errno.UNKNOWN)
        .orElseThrow(() -> failure(name(type), Errno.EPROTO, path));
  }

  /** As {@link #call}, but empty when xenstored answers the error {@code tolerated}. */
  private Optional<byte[]> callUnless(
      int type, int transaction, String path, byte[] payload, Errno tolerated) {
    queue(type, transaction, path, payload, tolerated);
    flush();
    while (owed.size() > 1) {
      answer();
    }
    return answer();
  }

  private void flush() {
    out.flip();
    try {
      while (out.hasRemaining()) {
        uninterrupted(() -> channel.write(out));
      }
    } catch (IOException e) {
      throw broken(e);
    } finally {
      out.clear();
    }
  }

  /** Reads the oldest owed answer: its payload, or empty for its tolerated error. */
  private Optional<byte[]> answer() {
    Owed request = owed.remove();
    header.clear();
    fill(header);
    header.flip();
    int type = header.getInt();
    header.getInt(); // req_id: xenstored answers a connection's requests in order
    header.getInt();
    int length = header.getInt();
    if (length < 0 || length > XenAbi.XENSTORE_PAYLOAD_MAX) {
      throw broken(new IOException("xenstored sent a payload of " + length + " bytes"));
    }
    ByteBuffer payload = ByteBuffer.allocate(length);
    fill(payload);
    if (type == XenAbi.XS_WATCH_EVENT) {
      owed.addFirst(request); // not an answer (this connection sets no watches)
      return answer();
    }
    if (type != XenAbi.XS_ERROR) {
      return Optional.of(payload.array());
    }
    String errorName = text(payload.array());
    Errno errno;
    try {
      errno = Errno.valueOf(errorName);
    } catch (IllegalArgumentException e) {
      errno = Errno.UNKNOWN;
    }
    if (errno == request.tolerated() && errno != Errno.UNKNOWN) {
      return Optional.empty();
    }
    throw failure(
        request.operation(),
        errno,
        request.path() + (errno == Errno.UNKNOWN ? " (xenstored: " + errorName + ")" : ""));
  }

  private void fill(ByteBuffer buffer) {
    try {
      while (buffer.hasRemaining()) {
        if (uninterrupted(() -> channel.read(buffer)) < 0) {
          throw new EOFException("xenstored closed the connection");
        }
      }
    } catch (IOException e) {
      throw broken(e);
    }
  }

  /** The connection cannot be used again: what is owed is lost with it. */
  private XenException broken(IOException e) {
    owed.clear();
    close();
    XenException failure =
        new XenException(
            "xenstored's socket",
            Errno.EIO,
            null,
            e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName());
    failure.initCause(e);
    return failure;
  }

  boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing a socket that failed: nothing more to do
    }
  }
}
