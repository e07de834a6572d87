package org.chaosvm.rig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A C program that prints the values of C expressions (sizes, offsets, constants), compiled with
 * gcc and run, against the values the Java side assumes: how the ABI tests ask the real headers.
 */
public final class CProbe {
  private final String prelude;
  private final Map<String, String> expressions = new LinkedHashMap<>();
  private final Map<String, Long> expected = new LinkedHashMap<>();

  /** {@code prelude}: the probe's first lines (includes, typedefs). */
  public CProbe(String prelude) {
    this.prelude = prelude;
  }

  /** Expects {@code cExpression} (an integer) to be {@code javaValue}, under {@code key}. */
  public CProbe expect(String key, long javaValue, String cExpression) {
    expressions.put(key, cExpression);
    expected.put(key, javaValue);
    return this;
  }

  /**
   * Writes the probe to {@code dir}, compiles it with {@code gccOptions}, runs it, and returns one
   * line per key whose value C computed otherwise than expected (none: the ABI holds).
   */
  public List<String> mismatches(Path dir, String... gccOptions) {
    Map<String, Long> actual = run(dir, gccOptions);
    List<String> mismatches = new ArrayList<>();
    expected.forEach(
        (key, value) -> {
          if (!value.equals(actual.get(key))) {
            mismatches.add(key + ": Java says " + value + ", the C headers say " + actual.get(key));
          }
        });
    return mismatches;
  }

  private Map<String, Long> run(Path dir, String... gccOptions) {
    StringBuilder source = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n");
    source.append(prelude).append("\nint main(void) {\n");
    expressions.forEach(
        (key, expression) ->
            source.append(
                "  printf(\"%s %lld\\n\", \"" + key + "\", (long long)(" + expression + "));\n"));
    source.append("  return 0;\n}\n");
    Path file = dir.resolve("probe.c");
    Path binary = dir.resolve("probe");
    try {
      Files.writeString(file, source);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> gcc = new ArrayList<>(List.of("gcc", "-Wall"));
    gcc.addAll(List.of(gccOptions));
    gcc.addAll(List.of("-o", binary.toString(), file.toString()));
    Command.run(Duration.ofSeconds(120), gcc.toArray(String[]::new)).orThrow();
    Map<String, Long> values = new LinkedHashMap<>();
    for (String line :
        Command.run(Duration.ofSeconds(30), binary.toString()).orThrow().output().split("\n")) {
      int space = line.lastIndexOf(' ');
      values.put(line.substring(0, space), Long.parseLong(line.substring(space + 1)));
    }
    return values;
  }
}
