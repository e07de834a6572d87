package org.chaosvm.daemon.engine;

import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;

/**
 * The engine's one seam: the socket server, the CLI's {@code --direct} mode and the tests all talk
 * to it. It answers every request with a reply, errors included; it does not throw.
 */
public interface RequestHandler {
  Reply handle(Request request);

  /**
   * The calling thread sends no more requests (a worker of the socket server that ends): what the
   * handler holds for it (Xen handles, say) can go.
   */
  default void threadDone() {}
}
