package org.chaosvm.libxc;

import java.util.OptionalInt;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * An event channel handle ({@code xenevtchn_handle *}) of Dom0: how the toolstack hears from Xen
 * and from guests. {@link #bindDomainExceptionVirq} subscribes to VIRQ_DOM_EXC, which fires when
 * any domain shuts down, crashes or dies.
 */
public final class EventChannels implements AutoCloseable {
  private final LibXenEvtchn.Native lib;
  private final Runtime runtime;
  private Pointer handle;

  private EventChannels(LibXenEvtchn.Native lib, Pointer handle) {
    this.lib = lib;
    this.runtime = NativeLibraries.runtime(lib);
    this.handle = handle;
  }

  public static EventChannels open() {
    LibXenEvtchn.Native lib = LibXenEvtchn.lib();
    Pointer handle = lib.xenevtchn_open(null, 0);
    NativeCall.checkNotNull(NativeLibraries.runtime(lib), "xenevtchn_open", handle, null);
    return new EventChannels(lib, handle);
  }

  /** Binds VIRQ_DOM_EXC; returns the local port it fires on. */
  public int bindDomainExceptionVirq() {
    return NativeCall.checkNonNegative(
        runtime,
        "xenevtchn_bind_virq",
        lib.xenevtchn_bind_virq(handle(), XenAbi.VIRQ_DOM_EXC),
        null);
  }

  /**
   * Allocates an event channel in Dom0 that {@code remote} can bind to (an interdomain channel's
   * Dom0 end) and binds it to this handle; returns its port.
   */
  public int bindUnboundPort(DomId remote) {
    return NativeCall.checkNonNegative(
        runtime,
        "xenevtchn_bind_unbound_port",
        lib.xenevtchn_bind_unbound_port(handle(), remote.value()),
        remote);
  }

  /**
   * A channel from Dom0 to itself, both ends bound to this handle; returns the end to {@link
   * #notify}, which makes {@link #awaitPending} here return: how a thread waiting on this handle is
   * woken to stop.
   */
  public int bindLoopback() {
    return bindInterdomain(DomId.DOM0, bindUnboundPort(DomId.DOM0));
  }

  /**
   * Binds a new local port to {@code remotePort} of {@code remote}, a port that domain holds
   * unbound for Dom0 (a console's, say); returns the local port.
   */
  public int bindInterdomain(DomId remote, int remotePort) {
    return NativeCall.checkNonNegative(
        runtime,
        "xenevtchn_bind_interdomain",
        lib.xenevtchn_bind_interdomain(handle(), remote.value(), remotePort),
        remote);
  }

  public void unbind(int port) {
    NativeCall.checkNonNegative(
        runtime, "xenevtchn_unbind", lib.xenevtchn_unbind(handle(), port), null);
  }

  /**
   * Waits for the next event and returns its port (the port stays masked until {@link #unmask}). An
   * interrupted wait (EINTR) is resumed.
   */
  public int awaitPending() {
    while (true) {
      int port = lib.xenevtchn_pending(handle());
      if (port >= 0) {
        return port;
      }
      if (NativeCall.lastErrno(runtime) != Errno.EINTR) {
        throw NativeCall.failure(runtime, "xenevtchn_pending", null, () -> "");
      }
    }
  }

  /** A pending port if there is one now; for a handle whose descriptor is non-blocking. */
  public OptionalInt pollPending() {
    int port = lib.xenevtchn_pending(handle());
    if (port >= 0) {
      return OptionalInt.of(port);
    }
    Errno errno = NativeCall.lastErrno(runtime);
    if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
      return OptionalInt.empty();
    }
    throw NativeCall.failure(runtime, "xenevtchn_pending", null, () -> "");
  }

  public void unmask(int port) {
    NativeCall.checkNonNegative(
        runtime, "xenevtchn_unmask", lib.xenevtchn_unmask(handle(), port), null);
  }

  public void notify(int port) {
    NativeCall.checkNonNegative(
        runtime, "xenevtchn_notify", lib.xenevtchn_notify(handle(), port), null);
  }

  /** The descriptor that becomes readable when an event is pending (for poll/select). */
  public int fileDescriptor() {
    return NativeCall.checkNonNegative(runtime, "xenevtchn_fd", lib.xenevtchn_fd(handle()), null);
  }

  private Pointer handle() {
    if (handle == null) {
      throw new IllegalStateException("the event channel handle is closed");
    }
    return handle;
  }

  @Override
  public void close() {
    if (handle != null) {
      Pointer closing = handle;
      handle = null;
      NativeCall.checkNonNegative(runtime, "xenevtchn_close", lib.xenevtchn_close(closing), null);
    }
  }
}
