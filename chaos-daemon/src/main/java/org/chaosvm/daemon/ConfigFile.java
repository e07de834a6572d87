package org.chaosvm.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * chaos-daemon's configuration file (chaos-daemon.conf(5)): one {@code KEY = VALUE} per line, KEY a
 * long option of the daemon without its dashes, VALUE as on the command line (the rest of the line,
 * trimmed; no quoting). {@code #} starts a comment line; blank lines are skipped. A setting that
 * takes a list may be given on several lines; any other is given once. A switch takes {@code true}
 * or {@code false}. The file becomes command-line arguments, put before the real ones.
 */
final class ConfigFile {
  /** Options that make no sense in a file: they say which file to read, or what to do instead. */
  private static final Set<String> COMMAND_LINE_ONLY =
      Set.of("config", "check-config", "help", "version");

  private ConfigFile() {}

  /** The options of {@code spec} that the file may set, each by its long name without dashes. */
  static List<OptionSpec> settings(CommandSpec spec) {
    return spec.options().stream()
        .filter(option -> !COMMAND_LINE_ONLY.contains(key(option)))
        .toList();
  }

  /** A setting's key: its option's long name without the dashes. */
  static String key(OptionSpec option) {
    return option.longestName().substring(2);
  }

  /** The settings of {@code file} as arguments for {@code spec}'s command. */
  static List<String> arguments(Path file, CommandSpec spec) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + describe(e));
    }
    List<String> arguments = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int number = i + 1;
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int equals = line.indexOf('=');
      if (equals < 0) {
        throw error(file, number, "not KEY = VALUE: " + line);
      }
      String key = line.substring(0, equals).strip();
      String value = line.substring(equals + 1).strip();
      OptionSpec option =
          settings(spec).stream().filter(o -> key(o).equals(key)).findFirst().orElse(null);
      if (option == null) {
        throw error(
            file,
            number,
            "unknown setting '"
                + key
                + "' (the settings are chaos-daemon's long options without their dashes:"
                + " chaos-daemon.conf(5))");
      }
      Integer before = seen.putIfAbsent(key, number);
      if (before != null && !option.isMultiValue()) {
        throw error(file, number, key + " is set twice (lines " + before + " and " + number + ")");
      }
      if (option.arity().max() == 0) {
        switch (value.toLowerCase(Locale.ROOT)) {
          case "true", "yes" -> arguments.add(option.longestName());
          case "false", "no" -> {}
          default -> throw error(file, number, key + " takes true or false, not '" + value + "'");
        }
        continue;
      }
      if (value.isEmpty()) {
        throw error(file, number, key + " needs a value");
      }
      arguments.add(option.longestName());
      arguments.add(value);
    }
    return arguments;
  }

  private static IllegalArgumentException error(Path file, int line, String message) {
    return new IllegalArgumentException(file + ":" + line + ": " + message);
  }

  private static String describe(IOException e) {
    return e instanceof NoSuchFileException
        ? "no such file"
        : e instanceof AccessDeniedException ? "permission denied" : e.toString();
  }
}
