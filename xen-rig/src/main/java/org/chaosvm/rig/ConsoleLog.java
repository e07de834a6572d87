package org.chaosvm.rig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A guest's console as xenconsoled logs it. The rig starts xenconsoled with {@code --log=guest
 * --log-dir=/var/log/xen/console}, so each guest's console output lands in {@code guest-NAME.log}
 * there, appended as the guest writes.
 */
public final class ConsoleLog {
  /** Where the rig's Dom0 has xenconsoled write guest consoles. */
  public static final Path RIG_LOG_DIR = Path.of("/var/log/xen/console");

  /**
   * How often a wait reads the log again: a line is seen at most this late (the tinyx benchmark
   * times an application by its console line).
   */
  private static final Duration POLL_INTERVAL = Duration.ofMillis(20);

  private final Path file;
  private final long startOffset;

  public ConsoleLog(Path file) {
    this(file, 0);
  }

  private ConsoleLog(Path file, long startOffset) {
    this.file = file;
    this.startOffset = startOffset;
  }

  /** The console log of the guest named {@code domainName} in the rig. */
  public static ConsoleLog of(String domainName) {
    return new ConsoleLog(RIG_LOG_DIR.resolve("guest-" + domainName + ".log"));
  }

  public Path file() {
    return file;
  }

  /** This log, but only what is logged from now on: for a guest about to be created. */
  public ConsoleLog sinceNow() {
    try {
      return new ConsoleLog(file, Files.exists(file) ? Files.size(file) : 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read console log " + file, e);
    }
  }

  /** The lines logged so far; none when the guest has not written anything yet. */
  public List<String> lines() {
    if (!Files.exists(file)) {
      return List.of();
    }
    try {
      byte[] bytes = Files.readAllBytes(file);
      int from = (int) Math.min(startOffset, bytes.length);
      String text = new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
      return text.isEmpty() ? List.of() : List.of(text.split("\r?\n"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read console log " + file, e);
    }
  }

  /**
   * Waits until a line containing {@code text} has been logged and returns that line.
   *
   * @throws IllegalStateException after {@code timeout}, with everything logged until then
   */
  public String awaitLineContaining(String text, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<String> lines = lines();
      Optional<String> match = lines.stream().filter(line -> line.contains(text)).findFirst();
      if (match.isPresent()) {
        return match.get();
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "no line containing '"
                + text
                + "' in "
                + file
                + " after "
                + timeout.toSeconds()
                + " s; logged so far:\n"
                + String.join("\n", lines));
      }
      sleep(POLL_INTERVAL);
    }
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting", e);
    }
  }
}
