package org.chaosvm.daemon.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;

/**
 * The engine's one seam: the socket server, the CLI's {@code --direct} mode and the tests all talk
 * to it. It answers every request with a reply, errors included; it does not throw.
 */
public interface RequestHandler {
  /** Answers {@code caller}'s request, as far as {@code caller} may make it. */
  Reply handle(Caller caller, Request request);

  /** A request of this process's own (tests, benchmarks, {@code --direct}): as root. */
  default Reply handle(Request request) {
    return handle(Caller.ROOT, request);
  }

  /**
   * The calling thread sends no more requests (a worker of the socket server that ends): what the
   * handler holds for it (Xen handles, say) can go.
   */
  default void threadDone() {}

  /**
   * Serves the console that {@code console} said is streamed, on the connection that reply went out
   * on: the guest's output to {@code toClient}, {@code fromClient}'s bytes to the guest. Returns
   * when the client leaves or the guest goes.
   */
  default void streamConsole(Reply.Console console, InputStream fromClient, OutputStream toClient)
      throws IOException {
    throw new UnsupportedOperationException("no console is streamed here");
  }

  /**
   * Serves a request that carries a checkpoint image on its connection ({@link
   * Request#carriesImage}): a save writes its {@link Reply.Image} then the image's frames to {@code
   * toClient}; a restore reads the image's frames from {@code fromClient}. Returns the final reply,
   * errors included; it does not throw.
   */
  default Reply handleImage(
      Caller caller, Request request, InputStream fromClient, OutputStream toClient) {
    return new Reply.Error(ErrorCode.BAD_REQUEST, "no checkpoint images are carried here");
  }
}
