package org.chaosvm.libxc;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.byref.IntByReference;

/**
 * A connection to XenStore ({@code struct xs_handle *}). Calls outside a transaction take {@link
 * #NO_TRANSACTION}; {@link #inTransaction} runs a body in one and retries it when XenStore asks.
 * Transactions go over a second connection to xenstored's socket, which sends a body's writes
 * without waiting for each answer ({@link XenStoreWire}); where xenstored has no socket (in a stub
 * domain, reached through the xenbus device) they go through libxenstore like the other calls. Not
 * thread-safe.
 */
public final class XenStore implements AutoCloseable {
  /** {@code XBT_NULL}: not in a transaction. */
  public static final int NO_TRANSACTION = XenAbi.XBT_NULL;

  /** Transactions are retried this many times on EAGAIN before giving up. */
  private static final int TRANSACTION_ATTEMPTS = 64;

  private final LibXenStore.Native lib;
  private final Runtime runtime;
  private Pointer handle;

  /** xenstored's socket for {@link #transactions}; null once nothing listens there. */
  private Path socket;

  /** The transactions' connection, opened at the first. */
  private XenStoreWire transactions;

  /** The transactions open on {@link #transactions} (a body may start another). */
  private final Set<Integer> wireTransactions = new HashSet<>();

  private XenStore(LibXenStore.Native lib, Pointer handle, Path socket) {
    this.lib = lib;
    this.runtime = NativeLibraries.runtime(lib);
    this.handle = handle;
    this.socket = socket;
  }

  /** Connects to xenstored (its socket in Dom0, else the xenbus device). */
  public static XenStore open() {
    LibXenStore.Native lib = LibXenStore.lib();
    Pointer handle = lib.xs_open(0);
    NativeCall.checkNotNull(NativeLibraries.runtime(lib), "xs_open", handle, null);
    String socket = lib.xs_daemon_socket();
    return new XenStore(lib, handle, socket == null ? null : Path.of(socket));
  }

  /** The node's value, or empty when it does not exist. */
  public Optional<String> read(int transaction, String path) {
    XenStoreWire wire = wire(transaction);
    if (wire != null) {
      return wire.read(transaction, path).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }
    IntByReference length = new IntByReference();
    Pointer value = lib.xs_read(handle(), transaction, path, length);
    if (value == null || value.address() == 0) {
      if (NativeCall.lastErrno(runtime) == Errno.ENOENT) {
        return Optional.empty();
      }
      throw NativeCall.failure(runtime, "xs_read", null, () -> path);
    }
    try {
      byte[] bytes = new byte[length.getValue()];
      value.get(0, bytes, 0, bytes.length);
      return Optional.of(new String(bytes, StandardCharsets.UTF_8));
    } finally {
      LibC.free(value);
    }
  }

  /** Writes the node, creating it (and missing parents) when needed. */
  public void write(int transaction, String path, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    XenStoreWire wire = wire(transaction);
    if (wire != null) {
      wire.write(transaction, path, bytes);
      return;
    }
    NativeCall.checkTrue(
        runtime,
        "xs_write",
        lib.xs_write(handle(), transaction, path, bytes, bytes.length),
        null,
        path);
  }

  public void mkdir(int transaction, String path) {
    XenStoreWire wire = wire(transaction);
    if (wire != null) {
      wire.mkdir(transaction, path);
      return;
    }
    NativeCall.checkTrue(
        runtime, "xs_mkdir", lib.xs_mkdir(handle(), transaction, path), null, path);
  }

  /** Removes the node and everything under it; removing a missing node is not an error. */
  public void rm(int transaction, String path) {
    XenStoreWire wire = wire(transaction);
    if (wire != null) {
      wire.rm(transaction, path);
      return;
    }
    if (lib.xs_rm(handle(), transaction, path) == 0
        && NativeCall.lastErrno(runtime) != Errno.ENOENT) {
      throw NativeCall.failure(runtime, "xs_rm", null, () -> path);
    }
  }

  /** The names of the node's children, or empty when the node does not exist. */
  public Optional<List<String>> directory(int transaction, String path) {
    XenStoreWire wire = wire(transaction);
    if (wire != null) {
      return wire.directory(transaction, path);
    }
    IntByReference count = new IntByReference();
    Pointer entries = lib.xs_directory(handle(), transaction, path, count);
    if (entries == null || entries.address() == 0) {
      if (NativeCall.lastErrno(runtime) == Errno.ENOENT) {
        return Optional.empty();
      }
      throw NativeCall.failure(runtime, "xs_directory", null, () -> path);
    }
    try {
      List<String> names = new ArrayList<>(count.getValue());
      for (int i = 0; i < count.getValue(); i++) {
        names.add(entries.getPointer((long) i * runtime.addressSize()).getString(0));
      }
      return Optional.of(names);
    } finally {
      LibC.free(entries); // one block: the pointer array and the strings after it
    }
  }

  public List<XsPermission> getPermissions(int transaction, String path) {
    XenStoreWire wire = wire(transaction);
    if (wire != null) {
      return wire.getPermissions(transaction, path);
    }
    IntByReference count = new IntByReference();
    Pointer perms = lib.xs_get_permissions(handle(), transaction, path, count);
    NativeCall.checkNotNull(runtime, "xs_get_permissions", perms, null, () -> path);
    try {
      int size = Struct.size(new XsPermissions(runtime));
      List<XsPermission> list = new ArrayList<>(count.getValue());
      for (int i = 0; i < count.getValue(); i++) {
        XsPermissions entry = new XsPermissions(runtime);
        entry.useMemory(perms.slice((long) i * size, size));
        list.add(
            new XsPermission(
                DomId.of((int) entry.id.get()), XsPermission.Access.of(entry.perms.get())));
      }
      return list;
    } finally {
      LibC.free(perms);
    }
  }

  public void setPermissions(int transaction, String path, List<XsPermission> permissions) {
    XenStoreWire wire = wire(transaction);
    if (wire != null) {
      wire.setPermissions(transaction, path, permissions);
      return;
    }
    int size = Struct.size(new XsPermissions(runtime));
    Pointer array = Memory.allocateDirect(runtime, (long) size * permissions.size(), true);
    for (int i = 0; i < permissions.size(); i++) {
      XsPermissions entry = new XsPermissions(runtime);
      entry.useMemory(array.slice((long) i * size, size));
      entry.id.set(permissions.get(i).domain().value());
      entry.perms.set(permissions.get(i).access().bits);
    }
    try {
      NativeCall.checkTrue(
          runtime,
          "xs_set_permissions",
          lib.xs_set_permissions(handle(), transaction, path, array, permissions.size()),
          null,
          path);
    } finally {
      Reference.reachabilityFence(array);
    }
  }

  /**
   * Runs {@code body} in a transaction and commits it; when XenStore answers EAGAIN (another writer
   * came between), runs it again in a new transaction. A body that throws aborts; so does a commit
   * that finds one of the body's writes failed (it throws that failure).
   */
  public <T> T inTransaction(Function<Integer, T> body) {
    XenStoreWire wire = transactionConnection();
    for (int attempt = 1; attempt <= TRANSACTION_ATTEMPTS; attempt++) {
      int transaction = wire != null ? wire.start() : startInLibrary();
      if (wire != null) {
        wireTransactions.add(transaction);
      }
      T result;
      boolean committed;
      try {
        result = body.apply(transaction);
        committed = wire != null ? wire.commit(transaction) : commitInLibrary(transaction);
      } catch (RuntimeException | Error e) {
        abort(wire, transaction, e);
        throw e;
      } finally {
        wireTransactions.remove(transaction);
      }
      if (committed) {
        return result;
      }
    }
    throw new XenException(
        "xs_transaction_end", Errno.EAGAIN, null, "after " + TRANSACTION_ATTEMPTS + " attempts");
  }

  private int startInLibrary() {
    int transaction = lib.xs_transaction_start(handle());
    if (transaction == 0) {
      throw NativeCall.failure(runtime, "xs_transaction_start", null, () -> "");
    }
    return transaction;
  }

  /** False when XenStore answers EAGAIN. */
  private boolean commitInLibrary(int transaction) {
    if (lib.xs_transaction_end(handle(), transaction, false) != 0) {
      return true;
    }
    if (NativeCall.lastErrno(runtime) == Errno.EAGAIN) {
      return false;
    }
    throw NativeCall.failure(runtime, "xs_transaction_end", null, () -> "");
  }

  /** Aborts after {@code cause}; a failure to abort is added to it. */
  private void abort(XenStoreWire wire, int transaction, Throwable cause) {
    try {
      if (wire != null) {
        wire.abort(transaction);
      } else {
        lib.xs_transaction_end(handle(), transaction, true);
      }
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  /** The transactions' connection to the socket, or null to use libxenstore's. */
  private XenStoreWire transactionConnection() {
    handle(); // closed: say so
    if ((transactions == null || !transactions.isOpen()) && socket != null) {
      transactions = XenStoreWire.connect(socket).orElse(null);
      if (transactions == null) {
        socket = null; // nothing listens there: xs_open took the xenbus device
      }
    }
    return transactions;
  }

  /** The transactions' connection if {@code transaction} is its own, else null. */
  private XenStoreWire wire(int transaction) {
    return transaction != NO_TRANSACTION && wireTransactions.contains(transaction)
        ? transactions
        : null;
  }

  /**
   * Tells xenstored that {@code domid} exists and where its XenStore ring and event channel are;
   * fires {@code @introduceDomain} watches (xenconsoled's among them).
   */
  public void introduceDomain(DomId domid, long storeMfn, int storeEventChannel) {
    NativeCall.checkTrue(
        runtime,
        "xs_introduce_domain",
        lib.xs_introduce_domain(handle(), domid.value(), storeMfn, storeEventChannel),
        domid,
        "");
  }

  /** Tells xenstored the domain is gone; fires {@code @releaseDomain} watches. */
  public void releaseDomain(DomId domid) {
    NativeCall.checkTrue(
        runtime, "xs_release_domain", lib.xs_release_domain(handle(), domid.value()), domid, "");
  }

  /** The domain's home in XenStore, {@code /local/domain/DOMID}. */
  public String domainPath(DomId domid) {
    Pointer path = lib.xs_get_domain_path(handle(), domid.value());
    NativeCall.checkNotNull(runtime, "xs_get_domain_path", path, domid);
    try {
      return path.getString(0);
    } finally {
      LibC.free(path);
    }
  }

  public void watch(String path, String token) {
    NativeCall.checkTrue(runtime, "xs_watch", lib.xs_watch(handle(), path, token), null, path);
  }

  public void unwatch(String path, String token) {
    NativeCall.checkTrue(runtime, "xs_unwatch", lib.xs_unwatch(handle(), path, token), null, path);
  }

  /** A fired watch: the path that changed and the watch's token. */
  public record WatchEvent(String path, String token) {}

  /** The file descriptor that becomes readable when a watch fires (for poll/select). */
  public int fileDescriptor() {
    return NativeCall.checkNonNegative(runtime, "xs_fileno", lib.xs_fileno(handle()), null);
  }

  /** Waits for the next watch event. */
  public WatchEvent readWatch() {
    IntByReference count = new IntByReference();
    Pointer event = lib.xs_read_watch(handle(), count);
    NativeCall.checkNotNull(runtime, "xs_read_watch", event, null);
    return takeWatchEvent(event);
  }

  /** The next watch event if one has fired, without waiting. */
  public Optional<WatchEvent> pollWatch() {
    Pointer event = lib.xs_check_watch(handle());
    if (event == null || event.address() == 0) {
      if (NativeCall.lastErrno(runtime) == Errno.EAGAIN) {
        return Optional.empty();
      }
      throw NativeCall.failure(runtime, "xs_check_watch", null, () -> "");
    }
    return Optional.of(takeWatchEvent(event));
  }

  private WatchEvent takeWatchEvent(Pointer event) {
    try {
      // XS_WATCH_PATH = 0, XS_WATCH_TOKEN = 1
      return new WatchEvent(
          event.getPointer(0).getString(0), event.getPointer(runtime.addressSize()).getString(0));
    } finally {
      LibC.free(event);
    }
  }

  private Pointer handle() {
    if (handle == null) {
      throw new IllegalStateException("the XenStore connection is closed");
    }
    return handle;
  }

  @Override
  public void close() {
    if (transactions != null) {
      transactions.close();
      transactions = null;
    }
    if (handle != null) {
      lib.xs_close(handle);
      handle = null;
    }
  }
}
