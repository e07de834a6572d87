package org.chaosvm.tinyx;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Runs the Debian tools tinyx relies on, and turns their failures into messages that name them. */
final class Processes {
  private Processes() {}

  /** Runs a command in {@code dir} (null: the current one) and returns its standard output. */
  static String run(Path dir, List<String> command) throws IOException {
    return run(dir, command, Map.of());
  }

  /** Runs a command in {@code dir} with {@code env} added to the environment. */
  static String run(Path dir, List<String> command, Map<String, String> env) throws IOException {
    Process process = start(dir, command, env, false);
    byte[][] err = new byte[1][];
    Thread drain =
        new Thread(
            () -> {
              try {
                err[0] = process.getErrorStream().readAllBytes();
              } catch (IOException e) {
                err[0] = new byte[0];
              }
            },
            "tinyx-stderr");
    drain.start();
    byte[] out = process.getInputStream().readAllBytes();
    try {
      int status = process.waitFor();
      drain.join();
      if (status != 0) {
        String message = new String(err[0], StandardCharsets.UTF_8).strip();
        throw failed(command, status, message.isEmpty() ? "" : ": " + lastLines(message, 5));
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /** Starts a command, its standard input closed; one that cannot start is named. */
  private static Process start(
      Path dir, List<String> command, Map<String, String> env, boolean mergeErrors)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(mergeErrors);
    if (dir != null) {
      builder.directory(dir.toFile());
    }
    builder.environment().putAll(env);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IOException(
          "cannot run " + command.get(0) + " (" + e.getMessage() + "); is it installed?", e);
    }
    process.getOutputStream().close();
    return process;
  }

  /** A command's failure: its first words, its status and what it said. */
  private static IOException failed(List<String> command, int status, String detail) {
    return new IOException(
        String.join(" ", command.subList(0, Math.min(command.size(), 3)))
            + (command.size() > 3 ? " ..." : "")
            + " exited with status "
            + status
            + detail);
  }

  private static String lastLines(String text, int n) {
    String[] lines = text.split("\n");
    return String.join(" / ", List.of(lines).subList(Math.max(0, lines.length - n), lines.length));
  }

  /**
   * Runs a long command in {@code dir} with {@code env} added to the environment, its output and
   * errors together written to {@code log} and each line handed to {@code onLine}. A failure's
   * message holds the last lines and names the log.
   */
  static void runLogged(
      Path dir, List<String> command, Map<String, String> env, Path log, Consumer<String> onLine)
      throws IOException {
    Process process = start(dir, command, env, true);
    Deque<String> tail = new ArrayDeque<>();
    try (BufferedReader lines =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer out = Files.newBufferedWriter(log)) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        out.write(line);
        out.write('\n');
        onLine.accept(line);
        tail.addLast(line);
        if (tail.size() > 5) {
          tail.removeFirst();
        }
      }
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
    try {
      int status = process.waitFor();
      if (status != 0) {
        throw failed(
            command,
            status,
            (tail.isEmpty() ? "" : ": " + String.join(" / ", tail))
                + " (whole output: "
                + log
                + ")");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
  }
}
