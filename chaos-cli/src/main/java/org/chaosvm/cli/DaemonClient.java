package org.chaosvm.cli;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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

  /**
   * No reply came within the time limit: the daemon is stuck, or the request is taking long; it may
   * still take effect.
   */
  static final class TimedOut extends Unreachable {
    private static final long serialVersionUID = 1L;

    TimedOut(String peer, Duration limit) {
      super(
          "no reply from "
              + peer
              + " within "
              + limit.toSeconds()
              + " s (--timeout); the request may still take effect: see `chaos list` and the"
              + " daemon's log");
    }
  }

  /** Ends the exchanges that outlive their limit, by closing their connection. */
  private static final ScheduledExecutorService DEADLINES =
      Executors.newSingleThreadScheduledExecutor(
          work -> {
            Thread thread = new Thread(work, "chaos-deadline");
            thread.setDaemon(true);
            return thread;
          });

  private DaemonClient() {}

  static Reply send(Path socket, Request request, Duration limit) throws Unreachable {
    try (Session session = connect(socket)) {
      return session.exchange(request, limit);
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
    return new Session(
        "chaos-daemon at " + socket,
        new BufferedInputStream(ChannelStreams.in(channel)),
        ChannelStreams.out(channel),
        channel::shutdownOutput,
        channel);
  }

  /**
   * The protocol spoken over other streams than the socket (a migration's destination daemon,
   * through the command that reaches it); {@code peer} names it in messages, {@code end} ends it.
   */
  static Session over(String peer, InputStream in, OutputStream out, Closeable end) {
    return new Session(peer, new BufferedInputStream(in), out, out::close, end);
  }

  /** One connection to the daemon. */
  static final class Session implements AutoCloseable {
    private final String peer;
    private final Closeable endOutput;
    private final Closeable end;
    final InputStream in;
    final OutputStream out;

    private Session(
        String peer, InputStream in, OutputStream out, Closeable endOutput, Closeable end) {
      this.peer = peer;
      this.endOutput = endOutput;
      this.end = end;
      this.in = in;
      this.out = out;
    }

    /** Ends this side's sending; the other side's replies can still be read. */
    void endOutput() throws IOException {
      endOutput.close();
    }

    /**
     * Sends a request and reads its reply, within {@code limit} (then the connection is closed and
     * {@link TimedOut} thrown).
     */
    Reply exchange(Request request, Duration limit) throws Unreachable {
      return within(limit, () -> exchange(request));
    }

    /** Reads the next reply within {@code limit}, as {@link #exchange(Request, Duration)}. */
    Reply readReplyWithin(Duration limit) throws Unreachable {
      return within(limit, () -> readReply((IOException) null));
    }

    private interface Read {
      Reply reply() throws Unreachable;
    }

    private Reply within(Duration limit, Read read) throws Unreachable {
      AtomicBoolean expired = new AtomicBoolean();
      ScheduledFuture<?> deadline =
          DEADLINES.schedule(
              () -> {
                expired.set(true);
                close();
              },
              limit.toMillis(),
              TimeUnit.MILLISECONDS);
      try {
        return read.reply();
      } catch (Unreachable e) {
        throw expired.get() ? new TimedOut(peer, limit) : e;
      } finally {
        deadline.cancel(false);
      }
    }

    private Reply exchange(Request request) throws Unreachable {
      // A daemon serving all it may answers BUSY and closes without reading the request: the
      // write may then fail (EPIPE) with the reply already waiting to be read.
      IOException writeFailure = null;
      try {
        Codec.write(out, request);
      } catch (IOException e) {
        writeFailure = e;
      }
      return readReply(writeFailure);
    }

    /**
     * Reads the next reply; {@code writeFailure}, if not null, is why what this side sent last did
     * not all go (the daemon may have answered and closed without reading it).
     */
    Reply readReply(IOException writeFailure) throws Unreachable {
      try {
        Optional<byte[]> line = Codec.readLine(in);
        if (line.isEmpty()) {
          throw new Unreachable(
              writeFailure != null
                  ? "lost " + peer + ": " + writeFailure.getMessage()
                  : peer + " closed the connection without a reply");
        }
        return Codec.decodeReply(line.get());
      } catch (IOException e) {
        throw new Unreachable("lost " + peer + ": " + e.getMessage());
      } catch (Codec.MalformedMessage e) {
        throw new Unreachable(
            peer + " replied with something else than the protocol: " + e.getMessage());
      }
    }

    @Override
    public void close() {
      try {
        end.close();
      } catch (IOException e) {
        // closed either way
      }
    }
  }
}
