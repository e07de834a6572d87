package org.chaosvm.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.Optional;
import org.chaosvm.protocol.ChannelStreams;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;

/** Sends one request to the daemon over its socket and returns the reply. */
final class DaemonClient {
  /** The daemon could not be reached; the message says why, in a sysadmin's words. */
  static class Unreachable extends Exception {
    private static final long serialVersionUID = 1L;

    Unreachable(String message) {
      super(message);
    }
  }

  /** The socket is there but this user may not use it. */
  static final class PermissionDenied extends Unreachable {
    private static final long serialVersionUID = 1L;

    PermissionDenied(Path socket) {
      super(
          "permission denied on "
              + socket
              + ": chaos needs root or membership of the daemon's group (chaos-daemon --group)");
    }
  }

  private DaemonClient() {}

  static Reply send(Path socket, Request request) throws Unreachable {
    try (Session session = connect(socket)) {
      return session.exchange(request);
    }
  }

  /**
   * A connection to the daemon, kept open: requests one at a time, or a console after its reply.
   */
  static Session connect(Path socket) throws Unreachable {
    SocketChannel channel;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (AccessDeniedException e) {
      throw new PermissionDenied(socket);
    } catch (IOException e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      if (why.contains("Permission denied")) {
        throw new PermissionDenied(socket);
      }
      throw new Unreachable(
          "cannot reach chaos-daemon at "
              + socket
              + " ("
              + why
              + "): is it running? (or use --direct)");
    }
    return new Session(socket, channel);
  }

  /** One connection to the daemon. */
  static final class Session implements AutoCloseable {
    private final Path socket;
    private final SocketChannel channel;
    final InputStream in;
    final OutputStream out;

    private Session(Path socket, SocketChannel channel) {
      this.socket = socket;
      this.channel = channel;
      this.in = new BufferedInputStream(ChannelStreams.in(channel));
      this.out = ChannelStreams.out(channel);
    }

    /** Sends a request and reads its reply. */
    Reply exchange(Request request) throws Unreachable {
      // A daemon serving all it may answers BUSY and closes without reading the request: the
      // write may then fail (EPIPE) with the reply already waiting to be read.
      IOException writeFailure = null;
      try {
        Codec.write(out, request);
      } catch (IOException e) {
        writeFailure = e;
      }
      try {
        Optional<byte[]> line = Codec.readLine(in);
        if (line.isEmpty()) {
          throw new Unreachable(
              writeFailure != null
                  ? "lost chaos-daemon at " + socket + ": " + writeFailure.getMessage()
                  : "chaos-daemon at " + socket + " closed the connection without a reply");
        }
        return Codec.decodeReply(line.get());
      } catch (IOException e) {
        throw new Unreachable("lost chaos-daemon at " + socket + ": " + e.getMessage());
      } catch (Codec.MalformedMessage e) {
        throw new Unreachable(
            "chaos-daemon at "
                + socket
                + " replied with something else than the protocol: "
                + e.getMessage());
      }
    }

    @Override
    public void close() {
      try {
        channel.close();
      } catch (IOException e) {
        // closed either way
      }
    }
  }
}
