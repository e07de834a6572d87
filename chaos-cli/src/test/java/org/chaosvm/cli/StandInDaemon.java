package org.chaosvm.cli;

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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;

/**
 * A stand-in for chaos-daemon on a temporary socket: it speaks the real protocol (the real codec,
 * real bytes) and answers each request with what {@code answer} says (given null for a request it
 * cannot decode, such as another protocol version's), recording the requests. For the CLI's unit
 * tests and its start-up benchmark; it shows nothing about Xen.
 */
final class StandInDaemon implements AutoCloseable {
  final Path socket;
  final List<Request> requests = new CopyOnWriteArrayList<>();
  private final ServerSocketChannel server;
  private final Thread thread;
  private volatile Function<Request, Reply> answer;
  private volatile Reply refusal;

  StandInDaemon(Path dir, Function<Request, Reply> answer) throws IOException {
    this.socket = dir.resolve("stand-in.sock");
    this.answer = answer;
    Files.deleteIfExists(socket);
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    thread = new Thread(this::serve, "stand-in-daemon");
    thread.setDaemon(true);
    thread.start();
  }

  void answer(Function<Request, Reply> answer) {
    this.answer = answer;
  }

  /**
   * From now on, each connection gets {@code reply} at once and is closed without its request being
   * read, as chaos-daemon refuses a connection beyond its limit.
   */
  void refuseUnread(Reply reply) {
    this.refusal = reply;
  }

  private void serve() {
    while (server.isOpen()) {
      try (SocketChannel client = server.accept();
          InputStream in = new BufferedInputStream(Channels.newInputStream(client));
          OutputStream out = Channels.newOutputStream(client)) {
        if (refusal != null) {
          Codec.write(out, refusal);
          continue;
        }
        Optional<byte[]> line;
        while ((line = Codec.readLine(in)).isPresent()) {
          Request request;
          try {
            request = Codec.decodeRequest(line.get());
          } catch (Codec.MalformedMessage e) {
            request = null; // another version's client (the start-up benchmark's "before")
          }
          if (request != null) {
            requests.add(request);
          }
          Codec.write(out, answer.apply(request));
        }
      } catch (IOException | Codec.MalformedMessage e) {
        // the client went, or sent garbage: next one
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    Files.deleteIfExists(socket);
  }
}
