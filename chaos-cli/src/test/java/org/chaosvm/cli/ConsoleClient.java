package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** {@code chaos console GUEST} run in this JVM: typed into through a pipe, its output gathered. */
final class ConsoleClient {
  final CompletableFuture<Integer> code;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();
  private final OutputStream keys;

  private ConsoleClient(Path socket, String guest) throws IOException {
    PipedInputStream keyboard = new PipedInputStream();
    keys = new PipedOutputStream(keyboard);
    code =
        CompletableFuture.supplyAsync(
            () ->
                Chaos.run(
                    keyboard,
                    new PrintWriter(out),
                    new PrintWriter(err),
                    "console",
                    guest,
                    "--socket=" + socket));
  }

  /** Attaches to {@code guest}'s console through the daemon on {@code socket}. */
  static ConsoleClient attach(Path socket, String guest) throws IOException {
    return new ConsoleClient(socket, guest);
  }

  void type(String text) throws IOException {
    type(text.getBytes(StandardCharsets.UTF_8));
  }

  void type(byte... bytes) throws IOException {
    keys.write(bytes);
    keys.flush();
  }

  /** Waits until the console has shown {@code text}. */
  void awaitShown(String text, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!out.toString().contains(text)) {
      assertTrue(
          System.nanoTime() < deadline, "chaos console never showed '" + text + "':\n" + out);
      Thread.sleep(20);
    }
  }
}
