package org.chaosvm.daemon.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import org.chaosvm.libxc.DomId;

/** A guest's PV console, as its mechanism has it served. */
interface GuestConsole {
  /** xenconsoled's, for the guests introduced to xenstored: clients attach there, not here. */
  GuestConsole XENCONSOLED =
      new GuestConsole() {
        @Override
        public boolean streamed() {
          return false;
        }

        @Override
        public void stream(DomId domid, InputStream fromClient, OutputStream toClient) {
          throw new IllegalStateException("xenconsoled serves domain " + domid + "'s console");
        }

        @Override
        public void watchBoot(
            BootWatch boots,
            DomId domid,
            long consoleFrame,
            long startNanos,
            Optional<String> bootloader) {
          boots.watch(domid, consoleFrame, startNanos, bootloader); // the ring, mapped read-only
        }
      };

  /** Whether the daemon serves it, streamed to clients over their connection. */
  boolean streamed();

  /**
   * Streams the console of {@code domid} to a client: its recent output, then what comes, and the
   * client's bytes to the guest's input. Returns when the client leaves or the console goes.
   */
  void stream(DomId domid, InputStream fromClient, OutputStream toClient) throws IOException;

  /**
   * Has {@code boots} time the boot of {@code domid}, a new guest not yet unpaused, whose console
   * ring is in frame {@code consoleFrame}, for a create that began at {@code startNanos}.
   */
  void watchBoot(
      BootWatch boots,
      DomId domid,
      long consoleFrame,
      long startNanos,
      Optional<String> bootloader);
}
