package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.chaosvm.daemon.engine.Caller;
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
  private static final Duration LIMIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private SocketServer server;

  /** A guest "web1" whose console prints a boot line, then echoes lines until {@code lines}. */
  private final class EchoingConsole implements RequestHandler {
    private final int lines;

    EchoingConsole(int lines) {
      this.lines = lines;
    }

    @Override
    public Reply handle(Caller caller, Request request) {
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

  private ConsoleClient attach(RequestHandler handler, String guest) throws IOException {
    server = SocketServer.start(dir.resolve("chaos.sock"), Optional.empty(), handler);
    return ConsoleClient.attach(dir.resolve("chaos.sock"), guest);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void theConsoleIsStreamedBothWaysAndCtrlBracketLeavesIt() throws Exception {
    ConsoleClient session = attach(new EchoingConsole(Integer.MAX_VALUE), "web1");
    session.awaitShown("web1 booted", LIMIT);
    session.type("hello\r");
    session.awaitShown("echo: hello", LIMIT);
    session.type((byte) 'x', (byte) ConsoleCommand.DETACH, (byte) 'y');
    assertEquals(ExitCodes.OK, session.code.get(20, TimeUnit.SECONDS));
    assertEquals("", session.err.toString());
  }

  @Test
  void aConsoleTheDaemonClosesEndsTheCommandAndSaysSo() throws Exception {
    ConsoleClient session = attach(new EchoingConsole(1), "web1");
    session.awaitShown("web1 booted", LIMIT);
    session.type("bye\r");
    assertEquals(ExitCodes.OK, session.code.get(20, TimeUnit.SECONDS));
    assertTrue(session.out.toString().contains("echo: bye"), session.out.toString());
    assertTrue(session.err.toString().contains("web1's console closed"), session.err.toString());
  }

  @Test
  void anUnknownGuestIsNotFound() throws Exception {
    ConsoleClient session = attach(new EchoingConsole(1), "web9");
    assertEquals(ExitCodes.NOT_FOUND, session.code.get(20, TimeUnit.SECONDS));
    assertTrue(session.err.toString().contains("no guest named"), session.err.toString());
  }
}
