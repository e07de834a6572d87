package org.chaosvm.tinyx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Runs the Debian tools tinyx relies on, and turns their failures into messages that name them. */
final class Processes {
  private Processes() {}

  /** Runs a command in {@code dir} (null: the current one) and returns its standard output. */
  static String run(Path dir, List<String> command) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false);
    if (dir != null) {
      builder.directory(dir.toFile());
    }
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IOException(
          "cannot run " + command.get(0) + " (" + e.getMessage() + "); is it installed?", e);
    }
    process.getOutputStream().close();
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
        throw new IOException(
            String.join(" ", command.subList(0, Math.min(command.size(), 3)))
                + (command.size() > 3 ? " ..." : "")
                + " exited with status "
                + status
                + (message.isEmpty() ? "" : ": " + lastLines(message, 5)));
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  private static String lastLines(String text, int n) {
    String[] lines = text.split("\n");
    return String.join(" / ", List.of(lines).subList(Math.max(0, lines.length - n), lines.length));
  }
}
