package org.chaosvm.rig;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A program run to completion under a time limit, with its standard output and error merged. */
public final class Command {
  /** How long to wait for the rest of the output after a process exits (a child may hold it). */
  private static final Duration READER_GRACE = Duration.ofSeconds(5);

  private Command() {}

  /** What a finished program left: its command line, exit code and merged output. */
  public record Result(List<String> command, int exitCode, String output) {
    public boolean succeeded() {
      return exitCode == 0;
    }

    /** Returns this result, or throws one naming the command, its exit code and its output. */
    public Result orThrow() {
      if (!succeeded()) {
        throw new CommandFailedException(
            "'" + String.join(" ", command) + "' exited with " + exitCode + ":\n" + output);
      }
      return this;
    }
  }

  /** Thrown when a program fails, cannot start, or outlives its time limit. */
  public static final class CommandFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandFailedException(String message) {
      super(message);
    }

    CommandFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Runs {@code command} with no standard input and waits for it; a program still running after
   * {@code timeout} is killed (with its descendants) and reported as a failure.
   */
  public static Result run(Duration timeout, String... command) {
    List<String> argv = List.of(command);
    Process process;
    try {
      process =
          new ProcessBuilder(argv)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
    } catch (IOException e) {
      throw new CommandFailedException("cannot start '" + String.join(" ", argv) + "'", e);
    }
    Output output = new Output(process.getInputStream());
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor();
        throw new CommandFailedException(
            "'"
                + String.join(" ", argv)
                + "' did not finish within "
                + timeout.toMillis()
                + " ms; output so far:\n"
                + output.text());
      }
      return new Result(argv, process.exitValue(), output.awaitText());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new CommandFailedException("interrupted while running " + argv, e);
    }
  }

  /** Collects a process's output on a thread of its own, so a full pipe never blocks it. */
  private static final class Output {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final Thread reader;

    Output(InputStream in) {
      reader = new Thread(() -> drain(in), "command-output");
      reader.setDaemon(true);
      reader.start();
    }

    private void drain(InputStream in) {
      byte[] chunk = new byte[8192];
      try (in) {
        for (int n; (n = in.read(chunk)) >= 0; ) {
          synchronized (buffer) {
            buffer.write(chunk, 0, n);
          }
        }
      } catch (IOException e) {
        // The stream is closed when a process is killed: what was read so far is the output.
      }
    }

    /** The output once the process has closed it (waits at most a few seconds for the pipe). */
    String awaitText() throws InterruptedException {
      reader.join(READER_GRACE.toMillis());
      return text();
    }

    String text() {
      synchronized (buffer) {
        return buffer.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
