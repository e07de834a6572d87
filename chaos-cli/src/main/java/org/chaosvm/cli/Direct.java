package org.chaosvm.cli;

import org.chaosvm.daemon.engine.XenEngine;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;

/**
 * {@code --direct}: the request carried out by an engine in this process, without a daemon. The
 * only class of the command that reaches the engine (and so jnr-ffi, the Xen bindings and Logback):
 * a request to the daemon loads none of them.
 */
final class Direct {
  private Direct() {}

  static Reply handle(Request request) {
    try (XenEngine engine = XenEngine.startDirect()) {
      return engine.handle(request);
    }
  }
}
