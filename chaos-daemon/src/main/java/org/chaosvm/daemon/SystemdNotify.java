package org.chaosvm.daemon;

import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd how the daemon is doing ({@code Type=notify}, sd_notify(3)) through libsystemd,
 * which every Debian system has: Java cannot send on the datagram socket systemd gives in
 * NOTIFY_SOCKET. Outside systemd (no NOTIFY_SOCKET) it does nothing and loads nothing.
 */
final class SystemdNotify {
  private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);

  /** The part of libsystemd's C interface used here. */
  public interface LibSystemd {
    /** Returns above 0 when sent, 0 when there is no NOTIFY_SOCKET, below 0 (-errno) on failure. */
    int sd_notify(int unsetEnvironment, String state);
  }

  private SystemdNotify() {}

  /** Sends {@code state} (e.g. {@code READY=1}) when run by systemd; a failure is only logged. */
  static void send(String state) {
    if (System.getenv("NOTIFY_SOCKET") == null) {
      return;
    }
    try {
      LibSystemd systemd =
          LibraryLoader.create(LibSystemd.class).failImmediately().load("libsystemd.so.0");
      int sent = systemd.sd_notify(0, state);
      if (sent <= 0) {
        log.warn("cannot tell systemd {}: sd_notify returned {}", state, sent);
      }
    } catch (UnsatisfiedLinkError | IllegalStateException e) {
      log.warn("cannot tell systemd {}: cannot load libsystemd.so.0: {}", state, e.getMessage());
    }
  }
}
