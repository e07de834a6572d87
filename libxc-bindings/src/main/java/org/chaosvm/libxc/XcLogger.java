package org.chaosvm.libxc;

import jnr.ffi.Pointer;

/**
 * The logger every {@link XenCtrl} gives libxenctrl (and so libxenguest, which reports through the
 * same interface): its messages of NOTICE and above, on standard error, a line each.
 *
 * <p>Given none, libxenctrl makes its own, which also writes its INFO messages and its progress
 * ("Saving domain 14, type x86 PV", "Frames: 1024/1024 100%", "End of stream") on the unbuffered
 * standard error, four writes a message: a dozen system calls in every save, each a fraction of a
 * millisecond in a PV Dom0 under the rig's emulation, for lines in the daemon's journal that tell a
 * sysadmin nothing. Warnings and errors are still written (one write each: the stream is flushed
 * after each message), and each failure's message reaches the caller through {@code
 * xc_get_last_error} as before.
 *
 * <p>One logger for the process, made at the first {@link XenCtrl#open} and never freed; threads
 * share it (a message is a few stdio calls, each locked: two threads' messages at the same moment
 * could mix, which only their text would show). If it cannot be made, libxenctrl makes its own.
 */
final class XcLogger {
  private XcLogger() {}

  private static final class Holder {
    static final Pointer LOGGER = create();
  }

  /** The logger, or null (libxenctrl's default then). */
  static Pointer get() {
    return Holder.LOGGER;
  }

  private static Pointer create() {
    Pointer stderr = LibC.lib().fdopen(2, "w");
    if (stderr == null) {
      return null;
    }
    return LibXenToolLog.lib().xtl_createlogger_stdiostream(stderr, XenAbi.XTL_NOTICE, 0);
  }
}
