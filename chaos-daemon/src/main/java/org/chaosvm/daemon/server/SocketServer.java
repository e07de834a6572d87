package org.chaosvm.daemon.server;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.chaosvm.daemon.engine.Caller;
import org.chaosvm.daemon.engine.RequestHandler;
import org.chaosvm.libxc.UserFile;
import org.chaosvm.protocol.ChannelStreams;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the protocol on a Unix domain socket: mode 0660, owned by root and, when given, a group
 * whose members may use chaos. A bad message gets an error reply, never a crash.
 *
 * <p>Bounded: each connection has a worker thread, at most {@link Limits#connections} at once, and
 * at most {@link Limits#perUser} of one user other than root (known from {@code SO_PEERCRED}); one
 * more is answered {@code BUSY} and closed at once, never left waiting. A connection that sends no
 * whole request within {@link Limits#idle} (silent, or stopped halfway through a message) is
 * closed, as is one that does not take what the daemon writes to it within that time; one that
 * sends an image (a restore) and sends nothing more of it within that time has its input shut, and
 * its restore fails with that reason. A worker idle for {@link Limits#keepAlive} ends, and what the
 * handler held for it goes with it ({@link RequestHandler#threadDone}).
 *
 * <p>Always answering: the accept loop outlives any failure (a thread that cannot be started
 * included: that connection is told the daemon is busy), and every request gets a reply, an {@code
 * INTERNAL} error when the handler failed in a way it did not foresee.
 */
public final class SocketServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SocketServer.class);

  /**
   * @param connections connections served at once
   * @param perUser connections served at once for one user other than root
   * @param idle how long a connection may take to send a whole request
   * @param keepAlive how long an idle worker thread stays for the next connection
   */
  public record Limits(int connections, int perUser, Duration idle, Duration keepAlive) {
    public static final Limits DEFAULT =
        new Limits(
            Protocol.MAX_CONNECTIONS,
            Protocol.MAX_CONNECTIONS_PER_USER,
            Duration.ofSeconds(Protocol.IDLE_SECONDS),
            Duration.ofSeconds(30));

    public Limits {
      if (connections < 1
          || perUser < 1
          || idle.isNegative()
          || idle.isZero()
          || keepAlive.isNegative()) {
        throw new IllegalArgumentException(
            "limits must be positive: " + connections + ", " + perUser + ", " + idle);
      }
    }

    /** As many per user as in all. */
    public Limits(int connections, Duration idle, Duration keepAlive) {
      this(connections, connections, idle, keepAlive);
    }
  }

  private final Path path;
  private final RequestHandler handler;
  private final ServerSocketChannel server;
  private final Limits limits;
  private final Semaphore slots;

  /** Connections being served per user other than root. */
  private final Map<String, Integer> perUser = new HashMap<>();

  private final ThreadPoolExecutor workers;
  private final ThreadFactory threads;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "connection-timer");
            thread.setDaemon(true);
            return thread;
          });
  private final Thread acceptor;

  private SocketServer(
      Path path,
      RequestHandler handler,
      ServerSocketChannel server,
      Limits limits,
      ThreadFactory threads) {
    this.path = path;
    this.threads = threads;
    this.handler = handler;
    this.server = server;
    this.limits = limits;
    this.slots = new Semaphore(limits.connections());
    // A thread per connection being served, at most as many as connections: an idle one takes the
    // next connection, a new one is made only when none is idle, and each ends after keepAlive
    // without work.
    this.workers =
        new ThreadPoolExecutor(
            0,
            limits.connections(),
            Math.max(1, limits.keepAlive().toMillis()),
            TimeUnit.MILLISECONDS,
            new SynchronousQueue<>(),
            this::worker);
    this.acceptor = new Thread(this::accept, "accept");
  }

  /** A worker thread: when it ends, the handler lets go of what it held for it. */
  private Thread worker(Runnable work) {
    Thread thread =
        threads.newThread(
            () -> {
              try {
                work.run();
              } finally {
                handler.threadDone();
              }
            });
    thread.setName("connection");
    thread.setDaemon(true);
    return thread;
  }

  public static SocketServer start(Path path, Optional<String> group, RequestHandler handler)
      throws IOException {
    return start(path, group, handler, Limits.DEFAULT);
  }

  /**
   * Listens on {@code path}; a stale socket file left there by a dead daemon is replaced, a live
   * daemon's is not, nor anything that is not a socket ({@link SocketFile}).
   */
  public static SocketServer start(
      Path path, Optional<String> group, RequestHandler handler, Limits limits) throws IOException {
    return start(path, group, handler, limits, Thread::new);
  }

  /** As above; {@code threads} makes the workers' threads (a test's may fail to). */
  static SocketServer start(
      Path path,
      Optional<String> group,
      RequestHandler handler,
      Limits limits,
      ThreadFactory threads)
      throws IOException {
    SocketFile.clear(path);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw----"));
    if (group.isPresent()) {
      GroupPrincipal principal =
          path.getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByGroupName(group.get());
      Files.setAttribute(path, "posix:group", principal);
    }
    SocketServer socketServer = new SocketServer(path, handler, server, limits, threads);
    socketServer.acceptor.start();
    log.info("listening on {} (limits {})", path, limits);
    return socketServer;
  }

  /**
   * Accepts connections until the server closes. Nothing ends this loop but the close: a daemon
   * whose acceptor died would stay up, deaf, and never be restarted.
   */
  private void accept() {
    while (server.isOpen()) {
      try {
        acceptOne();
      } catch (Throwable e) {
        if (server.isOpen()) {
          log.error("accepting a connection failed: {}", e.toString());
          breathe(); // a failure that lasts (no memory, no threads) must not spin
        }
      }
    }
  }

  private void acceptOne() throws IOException {
    SocketChannel client = server.accept();
    Optional<Caller> caller = callerOf(client);
    if (caller.isEmpty()) {
      refuse(
          client,
          new Reply.Error(
              ErrorCode.DENIED, "chaos-daemon cannot tell which user is calling; refused"));
      return;
    }
    if (!slots.tryAcquire()) {
      refuse(client, "serves " + limits.connections() + " connections at once already");
      return;
    }
    if (!enter(caller.get())) {
      slots.release();
      refuse(
          client,
          "serves "
              + limits.perUser()
              + " connections of "
              + caller.get().name()
              + " at once already (its limit)");
      return;
    }
    boolean handed = false;
    try {
      handed =
          hand(
              () -> {
                try {
                  serve(client, caller.get());
                } finally {
                  leave(caller.get());
                  slots.release();
                }
              });
    } finally {
      if (!handed) { // the server is closing, or no thread could be started for it
        leave(caller.get());
        slots.release();
        refuse(client, "cannot serve this connection now");
      }
    }
  }

  /** Counts a connection of {@code caller}'s, if under its limit (root has the server's). */
  private boolean enter(Caller caller) {
    if (caller.isRoot()) {
      return true;
    }
    synchronized (perUser) {
      int held = perUser.getOrDefault(caller.name(), 0);
      if (held >= limits.perUser()) {
        return false;
      }
      perUser.put(caller.name(), held + 1);
      return true;
    }
  }

  private void leave(Caller caller) {
    if (caller.isRoot()) {
      return;
    }
    synchronized (perUser) {
      perUser.computeIfPresent(caller.name(), (name, held) -> held > 1 ? held - 1 : null);
    }
  }

  private static void breathe() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Gives the work to a worker. The slots admit no more work than there may be workers, so a
   * refusal means every worker exists and one has just finished: it takes the work as soon as it is
   * back for more (a moment). False only when the server is closing.
   */
  private boolean hand(Runnable work) {
    try {
      workers.execute(work);
      return true;
    } catch (RejectedExecutionException e) {
      try {
        return !workers.isShutdown() && workers.getQueue().offer(work, 5, TimeUnit.SECONDS);
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /**
   * Answers BUSY and closes, from the acceptor: the reply is small and the socket's buffer empty.
   */
  private void refuse(SocketChannel client, String why) {
    refuse(client, new Reply.Error(ErrorCode.BUSY, "chaos-daemon " + why + "; try again"));
  }

  private void refuse(SocketChannel client, Reply.Error reply) {
    try (client) {
      Codec.write(Channels.newOutputStream(client), reply);
    } catch (IOException | RuntimeException e) {
      log.debug("cannot refuse a connection: {}", e.toString());
    }
    logRefusal(reply.message());
  }

  private long lastRefusalLogged;
  private int refusalsNotLogged;

  /**
   * Logs a refusal, at most one a second (a flood of connections must not flood the journal too):
   * the next line counts the ones left out. From the acceptor alone.
   */
  private void logRefusal(String message) {
    long now = System.nanoTime();
    if (lastRefusalLogged != 0 && now - lastRefusalLogged < TimeUnit.SECONDS.toNanos(1)) {
      refusalsNotLogged++;
      return;
    }
    log.warn(
        "refused a connection: {}{}",
        message,
        refusalsNotLogged > 0 ? " (and " + refusalsNotLogged + " more since the last line)" : "");
    lastRefusalLogged = now;
    refusalsNotLogged = 0;
  }

  private void serve(SocketChannel client, Caller caller) {
    Optional<UserFile> relay = Optional.empty();
    try (client;
        InputStream fromSocket = new BufferedInputStream(ChannelStreams.in(client));
        OutputStream out = new LimitedWrites(client)) {
      InputStream in = fromSocket;
      boolean first = true;
      while (true) {
        Optional<byte[]> line;
        // A read that outlives the limit is ended by closing the channel under it.
        ScheduledFuture<?> deadline = closeAfterIdleLimit(client, "sent no whole request");
        try {
          line = Codec.readLine(in);
        } catch (Codec.MalformedMessage e) {
          Codec.write(out, new Reply.Error(ErrorCode.BAD_REQUEST, e.getMessage()));
          return; // the stream cannot be resynchronised
        } finally {
          deadline.cancel(false);
        }
        if (line.isEmpty()) {
          return;
        }
        Optional<Request> decoded = decode(line.get(), out);
        boolean wasFirst = first;
        first = false;
        if (decoded.isEmpty()) {
          continue;
        }
        if (decoded.get() instanceof Request.Relay asked) {
          try {
            relay = Optional.of(Relays.open(caller, asked, wasFirst));
          } catch (Relays.Refused e) {
            Codec.write(out, new Reply.Error(ErrorCode.BAD_REQUEST, e.getMessage()));
            return;
          }
          in = relay.get().input(limits.idle());
          continue;
        }
        Request request =
            relay.isPresent() ? Relays.imageFrom(decoded.get(), asked(relay)) : decoded.get();
        if (request.carriesImage()) {
          InputStream image = relay.isPresent() ? in : new LimitedReads(client, in);
          Codec.write(out, answerWithImage(caller, request, image, out));
          return; // the image's frames may not all have been read: the connection ends here
        }
        Reply reply = answer(caller, request);
        Codec.write(out, reply);
        if (reply instanceof Reply.Console console && console.streamed()) {
          handler.streamConsole(console, in, out); // the rest of the connection is the console
          return;
        }
      }
    } catch (IOException e) {
      log.debug("connection ended: {}", e.getMessage());
    } catch (RuntimeException | Error e) {
      log.error("connection failed", e);
    } finally {
      relay.ifPresent(UserFile::close);
    }
  }

  private static String asked(Optional<UserFile> relay) {
    return relay.orElseThrow().opened().toString();
  }

  /**
   * The user at the other end ({@code SO_PEERCRED}: the kernel's word, not the client's), empty if
   * the host cannot say who that is.
   */
  private static Optional<Caller> callerOf(SocketChannel client) {
    try {
      UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
      String name = peer.user().getName();
      // root, the usual caller, without a look-up in the user databases on every connection
      return name.equals(Caller.ROOT.name()) ? Optional.of(Caller.ROOT) : Caller.named(name);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot tell who is calling: {}", e.toString());
      return Optional.empty();
    }
  }

  /** The request on a line; empty once a bad one is answered with its error. */
  private static Optional<Request> decode(byte[] line, OutputStream out) throws IOException {
    try {
      return Optional.of(Codec.decodeRequest(line));
    } catch (Codec.MalformedMessage e) {
      Codec.write(out, new Reply.Error(ErrorCode.BAD_REQUEST, e.getMessage()));
      return Optional.empty();
    }
  }

  /**
   * The reply to one request, whatever happens in the handler: a stack overflow or a bug there is
   * logged once (the request without its config text: {@link Request.Create#toString}) and answered
   * INTERNAL, never a silently closed connection.
   */
  private Reply answer(Caller caller, Request request) {
    try {
      return handler.handle(caller, request);
    } catch (RuntimeException | Error e) {
      return internalError(request, e);
    }
  }

  /** As {@link #answer}, for a request whose image travels on the connection. */
  private Reply answerWithImage(Caller caller, Request request, InputStream in, OutputStream out) {
    try {
      return handler.handleImage(caller, request, in, out);
    } catch (RuntimeException | Error e) {
      return internalError(request, e);
    }
  }

  private static Reply internalError(Request request, Throwable e) {
    log.error("request {} failed", request, e);
    return new Reply.Error(
        ErrorCode.INTERNAL, "internal error: " + e + " (the daemon's log has the details)");
  }

  /**
   * The connection's writes, each ended by closing the connection if the client has not taken it
   * within the idle limit: a client that stops reading (a reply, a console's output) cannot keep a
   * worker waiting forever on a full socket.
   */
  private final class LimitedWrites extends OutputStream {
    private final SocketChannel client;
    private final OutputStream out;

    LimitedWrites(SocketChannel client) {
      this.client = client;
      this.out = ChannelStreams.out(client);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      ScheduledFuture<?> deadline = closeAfterIdleLimit(client, "took nothing written to it");
      try {
        out.write(bytes, offset, length);
      } finally {
        deadline.cancel(false);
      }
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }

  /**
   * The reads of a connection that carries an image (a restore's, a migration's decision after it),
   * each ended by shutting the connection's input if nothing came within the idle limit: a client
   * that stops sending halfway through its image cannot keep a worker, and the pooled shell its
   * restore took, forever. The read then fails with the reason, so the restore's error says it; the
   * connection's output stays open for that error.
   */
  private final class LimitedReads extends InputStream {
    private final SocketChannel client;
    private final InputStream in;
    private volatile boolean timedOut;

    LimitedReads(SocketChannel client, InputStream in) {
      this.client = client;
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      return limited(in::read);
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
      return limited(() -> in.read(bytes, offset, length));
    }

    private int limited(Read read) throws IOException {
      ScheduledFuture<?> deadline =
          afterIdleLimit(
              () -> {
                log.info(
                    "shutting the input of a connection that sent nothing more of its image"
                        + " within {}",
                    limits.idle());
                timedOut = true;
                try {
                  client.shutdownInput();
                } catch (IOException e) {
                  log.debug("cannot shut a connection's input: {}", e.getMessage());
                }
              });
      int n;
      try {
        n = read.get();
      } finally {
        deadline.cancel(false);
      }
      if (timedOut) {
        throw new IOException("the client sent nothing more within " + said(limits.idle()));
      }
      return n;
    }
  }

  /** One read of a stream. */
  private interface Read {
    int get() throws IOException;
  }

  /**
   * Closes {@code client} once the idle limit has passed, unless the returned deadline is cancelled
   * first; {@code what} says in the log what the client did not do in time.
   */
  private ScheduledFuture<?> closeAfterIdleLimit(SocketChannel client, String what) {
    return afterIdleLimit(
        () -> {
          log.info("closing a connection that {} within {}", what, limits.idle());
          try {
            client.close();
          } catch (IOException e) {
            log.debug("cannot close a connection: {}", e.getMessage());
          }
        });
  }

  /** A limit as a sysadmin sets it: in seconds, or in milliseconds below a whole second. */
  private static String said(Duration limit) {
    long millis = limit.toMillis();
    return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
  }

  /** Runs {@code action} once the idle limit has passed, unless the deadline is cancelled first. */
  private ScheduledFuture<?> afterIdleLimit(Runnable action) {
    return timer.schedule(action, limits.idle().toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    try {
      server.close();
      acceptor.join(5000);
      workers.shutdownNow();
      workers.awaitTermination(5, TimeUnit.SECONDS);
      timer.shutdownNow();
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.warn("cannot remove {}: {}", path, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
