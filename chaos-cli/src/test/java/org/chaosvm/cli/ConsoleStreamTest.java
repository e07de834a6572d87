package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.chaosvm.daemon.engine.RequestHandler;
import org.chaosvm.daemon.server.SocketServer;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chaos console} on a streamed console, through the daemon's real socket server and a
 * stand-in engine that echoes what it is sent (no Xen: the protocol's switch to a raw stream, both
 * ways at once, and the ways a console session ends).
 */
@Timeout(60)
class ConsoleStreamTest {
  @TempDir Path dir;
  private SocketServer server;

  /** A guest "web1" whose console prints a boot line, then echoes lines until {@code lines}. */
  private final class EchoingConsole implements RequestHandler {
    private final int lines;

    EchoingConsole(int lines) {
      this.lines = lines;
    }

    @Override
    public Reply handle(Request request) {
      if (request instanceof Request.Console console && console.guest().text().equals("web1")) {
        return new Reply.Console(7, "web1", true);
      }
      return new Reply.Error(ErrorCode.NOT_FOUND, "no guest named " + request);
    }

    @Override
    public void streamConsole(Reply.Console console, InputStream fromClient, OutputStream toClient)
        throws IOException {
      toClient.write("web1 booted\r\n".getBytes(StandardCharsets.UTF_8));
      toClient.flush();
      StringBuilder line = new StringBuilder();
      int echoed = 0;
      int b;
      while (echoed < lines && (b = fromClient.read()) >= 0) {
        if (b == '\r') {
          toClient.write(("echo: " + line + "\r\n").getBytes(StandardCharsets.UTF_8));
          toClient.flush();
          line.setLength(0);
          echoed++;
        } else {
          line.append((char) b);
        }
      }
    }
  }

  private record Session(
      CompletableFuture<Integer> code, StringWriter out, StringWriter err, OutputStream keys) {}

  private Session attach(RequestHandler handler, String guest) throws IOException {
    server = SocketServer.start(dir.resolve("chaos.sock"), Optional.empty(), handler);
    PipedInputStream keyboard = new PipedInputStream();
    OutputStream keys = new PipedOutputStream(keyboard);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CompletableFuture<Integer> code =
        CompletableFuture.supplyAsync(
            () ->
                Chaos.run(
                    keyboard,
                    new PrintWriter(out),
                    new PrintWriter(err),
                    "console",
                    guest,
                    "--socket=" + dir.resolve("chaos.sock")));
    return new Session(code, out, err, keys);
  }

  private static void awaitText(StringWriter out, String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!out.toString().contains(text)) {
      assertTrue(System.nanoTime() < deadline, "no '" + text + "' in:\n" + out);
      Thread.sleep(20);
    }
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void theConsoleIsStreamedBothWaysAndCtrlBracketLeavesIt() throws Exception {
    Session session = attach(new EchoingConsole(Integer.MAX_VALUE), "web1");
    awaitText(session.out(), "web1 booted");
    session.keys().write("hello\r".getBytes(StandardCharsets.UTF_8));
    session.keys().flush();
    awaitText(session.out(), "echo: hello");
    session.keys().write(new byte[] {'x', ConsoleCommand.DETACH, 'y'});
    session.keys().flush();
    assertEquals(ExitCodes.OK, session.code().get(20, TimeUnit.SECONDS));
    assertEquals("", session.err().toString());
  }

  @Test
  void aConsoleTheDaemonClosesEndsTheCommandAndSaysSo() throws Exception {
    Session session = attach(new EchoingConsole(1), "web1");
    awaitText(session.out(), "web1 booted");
    session.keys().write("bye\r".getBytes(StandardCharsets.UTF_8));
    session.keys().flush();
    assertEquals(ExitCodes.OK, session.code().get(20, TimeUnit.SECONDS));
    assertTrue(session.out().toString().contains("echo: bye"), session.out().toString());
    assertTrue(
        session.err().toString().contains("web1's console closed"), session.err().toString());
  }

  @Test
  void anUnknownGuestIsNotFound() throws Exception {
    Session session = attach(new EchoingConsole(1), "web9");
    assertEquals(ExitCodes.NOT_FOUND, session.code().get(20, TimeUnit.SECONDS));
    assertTrue(session.err().toString().contains("no guest named"), session.err().toString());
  }
}
