package org.chaosvm.rig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * An interactive program run on a pseudo-terminal, as a person at a terminal runs it (console
 * clients such as {@code xl console} want a terminal): util-linux's {@code script} gives it one,
 * this class types into it and reads what it prints.
 */
public final class PtySession implements AutoCloseable {
  private final Process process;
  private final OutputStream keys;
  private final ByteArrayOutputStream screen = new ByteArrayOutputStream();
  private final Thread reader;

  private PtySession(Process process) {
    this.process = process;
    this.keys = process.getOutputStream();
    this.reader = new Thread(this::readScreen, "pty-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code command} on a pseudo-terminal of its own. */
  public static PtySession start(List<String> command) {
    String line = command.stream().map(PtySession::quote).collect(Collectors.joining(" "));
    try {
      return new PtySession(
          // The typescript goes to /dev/null: without a file, script writes ./typescript into
          // the working directory, the checkout.
          new ProcessBuilder(
                  "script", "--quiet", "--flush", "--return", "--command", line, "/dev/null")
              .redirectErrorStream(true)
              .start());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start script for " + line, e);
    }
  }

  private static String quote(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  private void readScreen() {
    byte[] buffer = new byte[4096];
    try (InputStream in = process.getInputStream()) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        synchronized (screen) {
          screen.write(buffer, 0, n);
        }
      }
    } catch (IOException e) {
      // the process is gone; what it printed stays in the screen
    }
  }

  /** Types {@code text} (a terminal's Enter is "\r"). */
  public void type(String text) {
    try {
      keys.write(text.getBytes(StandardCharsets.UTF_8));
      keys.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot type into the terminal: " + screen(), e);
    }
  }

  /** All the program printed so far. */
  public String screen() {
    synchronized (screen) {
      return screen.toString(StandardCharsets.UTF_8);
    }
  }

  /**
   * Types {@code line} and Enter every {@code every} until the screen shows {@code answer}
   * (programs that start slowly lose what is typed before they listen); fails after {@code
   * timeout}.
   */
  public void typeUntil(String line, String answer, Duration every, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!screen().contains(answer)) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        throw new AssertionError(
            "no '" + answer + "' on the terminal after typing '" + line + "':\n" + screen());
      }
      type(line + "\r");
      long pause = System.nanoTime() + every.toNanos();
      while (!screen().contains(answer) && System.nanoTime() < pause) {
        Thread.sleep(100);
      }
    }
  }

  /** Waits for the program to end and returns its exit code; kills it after {@code timeout}. */
  public int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      close();
      throw new AssertionError("still running after " + timeout + ":\n" + screen());
    }
    reader.join(5000);
    return process.exitValue();
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
