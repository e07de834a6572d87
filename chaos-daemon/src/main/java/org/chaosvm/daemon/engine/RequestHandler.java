package org.chaosvm.daemon.engine;

import org.chaosvm.daemon.protocol.Reply;
import org.chaosvm.daemon.protocol.Request;

/**
 * The engine's one seam: the socket server, the CLI's {@code --direct} mode and the tests all talk
 * to it. It answers every request with a reply, errors included; it does not throw.
 */
public interface RequestHandler {
  Reply handle(Request request);
}
