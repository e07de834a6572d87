package org.chaosvm.rig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A program run to completion under a time limit, with its standard output and error merged. */
public final class Command {
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
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
    } catch (IOException e) {
      throw new CommandFailedException("cannot start '" + String.join(" ", argv) + "'", e);
    }
    CompletableFuture<String> output =
        CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor();
        throw new CommandFailedException(
            "'"
                + String.join(" ", argv)
                + "' did not finish within "
                + timeout.toSeconds()
                + " s; output so far:\n"
                + output.join());
      }
      return new Result(argv, process.exitValue(), output.join());
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new CommandFailedException("interrupted while running " + argv, e);
    }
  }

  private static String readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      in.transferTo(buffer);
      return buffer.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
