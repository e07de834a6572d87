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
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.chaosvm.daemon.engine.RequestHandler;
import org.chaosvm.daemon.protocol.Codec;
import org.chaosvm.daemon.protocol.ErrorCode;
import org.chaosvm.daemon.protocol.Reply;
import org.chaosvm.daemon.protocol.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the protocol on a Unix domain socket: mode 0660, owned by root and, when given, a group
 * whose members may use chaos. One thread per connection; a bad message gets an error reply, never
 * a crash.
 */
public final class SocketServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SocketServer.class);

  private final Path path;
  private final RequestHandler handler;
  private final ServerSocketChannel server;
  private final ExecutorService connections =
      Executors.newCachedThreadPool(
          r -> {
            Thread thread = new Thread(r, "connection");
            thread.setDaemon(true);
            return thread;
          });
  private final Thread acceptor;

  private SocketServer(Path path, RequestHandler handler, ServerSocketChannel server) {
    this.path = path;
    this.handler = handler;
    this.server = server;
    this.acceptor = new Thread(this::accept, "accept");
  }

  /**
   * Listens on {@code path}; a stale socket file left there by a dead daemon is replaced, a live
   * daemon's is not.
   */
  public static SocketServer start(Path path, Optional<String> group, RequestHandler handler)
      throws IOException {
    Files.createDirectories(path.toAbsolutePath().getParent());
    if (Files.exists(path)) {
      if (answers(path)) {
        throw new IOException("another daemon is listening on " + path);
      }
      Files.delete(path);
    }
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
    SocketServer socketServer = new SocketServer(path, handler, server);
    socketServer.acceptor.start();
    log.info("listening on {}", path);
    return socketServer;
  }

  private static boolean answers(Path path) {
    try {
      SocketChannel.open(UnixDomainSocketAddress.of(path)).close();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void accept() {
    while (server.isOpen()) {
      try {
        SocketChannel client = server.accept();
        connections.submit(() -> serve(client));
      } catch (IOException e) {
        if (server.isOpen()) {
          log.warn("accept failed: {}", e.getMessage());
        }
      }
    }
  }

  private void serve(SocketChannel client) {
    try (client;
        InputStream in = new BufferedInputStream(Channels.newInputStream(client));
        OutputStream out = Channels.newOutputStream(client)) {
      while (true) {
        Optional<byte[]> line;
        try {
          line = Codec.readLine(in);
        } catch (Codec.MalformedMessage e) {
          Codec.write(out, new Reply.Error(ErrorCode.BAD_REQUEST, e.getMessage()));
          return; // the stream cannot be resynchronised
        }
        if (line.isEmpty()) {
          return;
        }
        Reply reply;
        try {
          Request request = Codec.decodeRequest(line.get());
          reply = handler.handle(request);
        } catch (Codec.MalformedMessage e) {
          reply = new Reply.Error(ErrorCode.BAD_REQUEST, e.getMessage());
        }
        Codec.write(out, reply);
      }
    } catch (IOException e) {
      log.debug("connection ended: {}", e.getMessage());
    } catch (RuntimeException e) {
      log.error("connection failed", e);
    }
  }

  @Override
  public void close() {
    try {
      server.close();
      acceptor.join(5000);
      connections.shutdownNow();
      connections.awaitTermination(5, TimeUnit.SECONDS);
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.warn("cannot remove {}: {}", path, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
