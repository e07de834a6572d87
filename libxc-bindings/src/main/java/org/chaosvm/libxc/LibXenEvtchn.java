package org.chaosvm.libxc;

import jnr.ffi.Pointer;

/** libxenevtchn (Xen 4.17), raw: "-1 and errno" for every int, NULL and errno for open. */
final class LibXenEvtchn {
  // Public only because jnr-ffi implements it in a class loader of its own.
  public interface Native {
    Pointer xenevtchn_open(Pointer logger, int openFlags);

    int xenevtchn_close(Pointer xce);

    int xenevtchn_fd(Pointer xce);

    int xenevtchn_bind_virq(Pointer xce, int virq);

    int xenevtchn_unbind(Pointer xce, int port);

    /** Allocates a port in Dom0, unbound for {@code domid} to bind to, and binds it here. */
    int xenevtchn_bind_unbound_port(Pointer xce, int domid);

    /** Binds a local port to {@code remotePort}, a port of {@code domid} unbound for Dom0. */
    int xenevtchn_bind_interdomain(Pointer xce, int domid, int remotePort);

    /** The next pending port; blocks unless the fd is non-blocking (then EAGAIN when none). */
    int xenevtchn_pending(Pointer xce);

    int xenevtchn_unmask(Pointer xce, int port);

    int xenevtchn_notify(Pointer xce, int port);
  }

  private static final class Holder {
    static final Native LIB = NativeLibraries.load(Native.class, NativeLibraries.XENEVTCHN);
  }

  private LibXenEvtchn() {}

  static Native lib() {
    return Holder.LIB;
  }
}
