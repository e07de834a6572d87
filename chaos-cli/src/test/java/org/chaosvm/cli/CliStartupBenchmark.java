package org.chaosvm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chaosvm.protocol.Reply;

/**
 * How fast the installed {@code chaos} command starts, against a bare JVM hello with the same JVM
 * options: {@code chaos --version}, and {@code chaos list} against a stand-in daemon on a temporary
 * socket (one guest in the reply). Each is run {@code RUNS} times as a process of its own; the
 * medians, their ratios to the hello, and the classes each loads are printed. A benchmark, not a
 * test: it asserts nothing.
 *
 * <pre>
 * mvn -DskipTests package
 * java -cp "chaos-cli/target/test-classes:chaos-cli/target/chaos/lib/*:chaos-protocol/target/test-classes" \
 *     org.chaosvm.cli.CliStartupBenchmark chaos-cli/target/chaos [RUNS]
 * </pre>
 */
public final class CliStartupBenchmark {
  private CliStartupBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path install = Path.of(args.length > 0 ? args[0] : "chaos-cli/target/chaos");
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 21;
    Path chaos = install.resolve("bin/chaos");
    if (!Files.isExecutable(chaos)) {
      throw new IllegalArgumentException(chaos + " is not there: mvn -DskipTests package first");
    }
    String options = System.getenv().getOrDefault("CHAOS_JAVA_OPTS", defaultOptions(chaos));
    Path helloClasses =
        Path.of(Hello.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path dir = Files.createTempDirectory("chaos-startup");
    try (StandInDaemon daemon =
        new StandInDaemon(
            dir,
            request ->
                new Reply.Guests(
                    List.of(new Reply.GuestInfo(1, "web1", 256, 1, "running", 212.5))))) {
      List<String> java = new ArrayList<>(List.of("java"));
      java.addAll(List.of(options.split(" +")));
      List<String> hello = new ArrayList<>(java);
      hello.addAll(List.of("-cp", helloClasses.toString(), Hello.class.getName()));
      Map<String, List<String>> commands =
          Map.of(
              "java Hello",
              hello,
              "chaos --version",
              List.of(chaos.toString(), "--version"),
              "chaos list",
              List.of(chaos.toString(), "list", "--socket", daemon.socket.toString()));
      List<String> order = List.of("java Hello", "chaos --version", "chaos list");
      Map<String, Double> medians = new java.util.LinkedHashMap<>();
      for (String name : order) {
        run(commands.get(name), options); // warm the page cache
        List<Double> times = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
          times.add(run(commands.get(name), options));
        }
        medians.put(name, CreateBenchmark.median(times));
      }
      System.out.printf("JVM options: %s; %d runs each; %s%n", options, runs, install);
      System.out.printf(
          "| command | median s | vs java Hello | classes loaded |%n|---|---|---|---|%n");
      for (String name : order) {
        System.out.printf(
            "| %s | %.3f | %.2fx | %d |%n",
            name,
            medians.get(name),
            medians.get(name) / medians.get("java Hello"),
            classes(commands.get(name), options));
      }
    } finally {
      Files.deleteIfExists(dir);
    }
  }

  /** The options bin/chaos gives the JVM unless CHAOS_JAVA_OPTS says otherwise. */
  private static String defaultOptions(Path chaos) throws IOException {
    String script = Files.readString(chaos);
    int start = script.indexOf("${CHAOS_JAVA_OPTS:-");
    if (start < 0) {
      return "";
    }
    start += "${CHAOS_JAVA_OPTS:-".length();
    return script.substring(start, script.indexOf('}', start)).trim();
  }

  /** One run's wall time in seconds. */
  private static double run(List<String> command, String options)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("CHAOS_JAVA_OPTS", options);
    long start = System.nanoTime();
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    int code = process.waitFor();
    double seconds = (System.nanoTime() - start) / 1e9;
    if (code != 0) {
      throw new IllegalStateException(command + " exited " + code + ":\n" + new String(output));
    }
    return seconds;
  }

  private static long classes(List<String> command, String options)
      throws IOException, InterruptedException {
    List<String> logged = new ArrayList<>(command);
    if (logged.get(0).equals("java")) {
      logged.add(1, "-Xlog:class+load");
    }
    ProcessBuilder builder = new ProcessBuilder(logged).redirectErrorStream(true);
    builder.environment().put("CHAOS_JAVA_OPTS", options + " -Xlog:class+load");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes());
    process.waitFor();
    return output.lines().filter(line -> line.contains("[class,load]")).count();
  }
}
