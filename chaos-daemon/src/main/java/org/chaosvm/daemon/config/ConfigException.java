package org.chaosvm.daemon.config;

import java.nio.file.Path;

/**
 * A guest config that cannot be used, with where the problem is: the file, and the line and column
 * when the problem has a place in the text ({@code 0} when it has none).
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final int column;
  private final String problem;

  public ConfigException(Path file, int line, int column, String problem) {
    super(format(file, line, column, problem));
    this.file = file;
    this.line = line;
    this.column = column;
    this.problem = problem;
  }

  public ConfigException(Path file, int line, int column, String problem, Throwable cause) {
    this(file, line, column, problem);
    initCause(cause);
  }

  public Path file() {
    return file;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }

  /** What is wrong, without the place. */
  public String problem() {
    return problem;
  }

  private static String format(Path file, int line, int column, String problem) {
    StringBuilder text = new StringBuilder(String.valueOf(file));
    if (line > 0) {
      text.append(':').append(line);
      if (column > 0) {
        text.append(':').append(column);
      }
    }
    return text.append(": ").append(problem).toString();
  }
}
