package org.chaosvm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.engine.SizeClass;
import org.chaosvm.daemon.engine.XenEngine;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Xl;

/**
 * Benchmark, not a test: the same guest created N times (default 20) by {@code xl create}, by chaos
 * without a pool (the {@code --direct} path: both phases on request) and by chaos from the pool
 * (prepare phase done ahead), in one run of the rig. Prints medians and ratios to xl. Run:
 *
 * <pre>xen-rig/rig run -- xen-rig/dom0/java org.chaosvm.cli.CreateBenchmark [N] [--vif] [--disk]
 *   [--noxs]</pre>
 *
 * With {@code --vif} the guest has one network interface on the rig's bridge (xl sets it up with
 * its vif-bridge hotplug script, chaos with its own code); with {@code --disk}, one disk, an image
 * file on a loop device (xl's block script, chaos's own code). Both toolstacks wait for the back
 * ends before the guest runs. With {@code --noxs} (on the noxs hypervisor), the same guest also as
 * a noxs guest ({@code dev_method = "noxs"}: its vif over xen-netback-noxs, its devices found by
 * the test guest's noxs-front) from a pooled noxs shell; without a disk only (noxs has none yet).
 *
 * <p>Times are wall-clock around the toolstack's create: xl's process from start to exit (it
 * returns once the guest is unpaused), and chaos's request from send to reply, in this JVM; {@code
 * --direct} gets a fresh engine per create as the command does (no pool, no kernel cache), the
 * pooled engine keeps its kernel cache as the daemon does. Then the whole {@code chaos create}
 * command against a chaos-daemon process, its JVM start included (seconds under TCG, a fraction on
 * hardware).
 */
public final class CreateBenchmark {
  private CreateBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> arguments = new ArrayList<>(List.of(args));
    boolean vif = arguments.remove("--vif");
    boolean disk = arguments.remove("--disk");
    boolean noxs = arguments.remove("--noxs");
    if (noxs && disk) {
      throw new IllegalArgumentException("--noxs is without --disk: noxs has no disks yet");
    }
    int runs = arguments.isEmpty() ? 20 : Integer.parseInt(arguments.get(0));
    Path dir = Files.createTempDirectory("chaos-bench");
    List<String> devices = new ArrayList<>();
    if (vif) {
      devices.add("vif = [ 'bridge=xenbr0' ]");
    }
    if (disk) {
      Path image = dir.resolve("bench.img");
      Command.run(Duration.ofMinutes(1), "truncate", "-s", "64M", image.toString()).orThrow();
      devices.add("disk = [ '" + image + ",raw,xvdb,rw' ]");
    }
    Path config =
        Files.writeString(
            dir.resolve("bench.cfg"),
            TestGuest.xlConfig("bench", TestGuest.Mode.WAIT, "", devices.toArray(String[]::new)));
    Request.Create create =
        new Request.Create(Protocol.VERSION, config.toString(), Files.readString(config), false);
    Request.Destroy destroy = new Request.Destroy(Protocol.VERSION, new GuestRef("bench"));
    devices.add("dev_method = \"noxs\"");
    Path noxsConfig =
        Files.writeString(
            dir.resolve("bench-noxs.cfg"),
            TestGuest.xlConfig("bench", TestGuest.Mode.WAIT, "", devices.toArray(String[]::new)));
    Request.Create noxsCreate =
        new Request.Create(
            Protocol.VERSION, noxsConfig.toString(), Files.readString(noxsConfig), false);
    Map<String, List<Double>> totals = new LinkedHashMap<>();
    Map<String, List<Double>> phases = new LinkedHashMap<>();
    Map<String, List<Double>> commands = new LinkedHashMap<>();

    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      Command.run(Xl.CALL_TIMEOUT, "xl", "create", config.toString()).orThrow();
      add(totals, "xl create", millisSince(start));
      Xl.destroy("bench");
    }

    for (int i = 0; i < runs; i++) {
      // As `chaos create --direct` runs: an engine of its own, so no pool and no kernel cache.
      try (XenEngine direct = XenEngine.startDirect()) {
        long start = System.nanoTime();
        Reply reply = direct.handle(create);
        add(totals, "chaos --direct (no pool)", millisSince(start));
        record(phases, "direct: ", reply);
        direct.handle(destroy);
      }
    }

    Pooled pooled = new Pooled(runs, destroy, totals, phases);
    pooled.creates(
        new SizeClass(TestGuest.MEMORY_MIB, 1), create, "chaos (pooled shell)", "pooled");
    if (noxs) {
      pooled.creates(
          new SizeClass(TestGuest.MEMORY_MIB, 1, DeviceMechanism.NOXS),
          noxsCreate,
          "chaos (pooled noxs shell)",
          "noxs");
    }

    // The whole command as a sysadmin times it: the chaos command's JVM and its request to a
    // chaos-daemon process with a pool.
    DaemonProcess daemon = new DaemonProcess(dir).start(TestGuest.MEMORY_MIB + "x1=1");
    for (int i = 0; i < runs; i++) {
      daemon.awaitPool(TestGuest.MEMORY_MIB + "x1", 1);
      long start = System.nanoTime();
      Command.run(
              Duration.ofMinutes(2),
              "xen-rig/dom0/chaos",
              "create",
              config.toString(),
              "--socket=" + daemon.socket)
          .orThrow();
      add(commands, "chaos create (command, pooled)", millisSince(start));
      daemon.chaos("destroy", "bench");
      Xl.awaitGone("bench", Duration.ofMinutes(1));
    }
    daemon.stop();
    commands.put("xl create (command)", totals.get("xl create"));

    long start = System.nanoTime();
    Command.run(Duration.ofMinutes(2), "xen-rig/dom0/chaos", "--version").orThrow();
    double cliStart = millisSince(start);

    System.out.printf(
        "create of the rig's test guest (%d MiB, Debian 6.1 kernel + busybox initramfs%s), %d runs"
            + " each%n",
        TestGuest.MEMORY_MIB,
        (vif ? ", one vif on xenbr0" : "") + (disk ? ", one disk (a 64 MiB image)" : ""),
        runs);
    printTable("toolstack", totals, median(totals.get("xl create")));
    System.out.println();
    printTable(
        "whole command (JVM included)", commands, median(commands.get("xl create (command)")));
    System.out.println();
    System.out.printf("%-34s %12s%n", "chaos phase (daemon side)", "median ms");
    phases.forEach((name, samples) -> System.out.printf("%-34s %12.1f%n", name, median(samples)));
    System.out.println();
    System.out.printf("a JVM start of the chaos command (chaos --version): %.0f ms%n", cliStart);
    Path tsv = Path.of("target/bench/create.tsv");
    Files.createDirectories(tsv.getParent());
    List<String> lines = new ArrayList<>(List.of("what\tmedian_ms\tmin_ms\tvs_xl"));
    double xl = median(totals.get("xl create"));
    for (Map<String, List<Double>> rows : List.of(totals, commands, phases)) {
      rows.forEach(
          (name, samples) ->
              lines.add(
                  String.format(
                      "%s\t%.1f\t%.1f\t%s",
                      name,
                      median(samples),
                      samples.stream().mapToDouble(d -> d).min().orElse(0),
                      rows == phases ? "" : String.format("%.3f", median(samples) / xl))));
    }
    Files.write(tsv, lines);
    System.out.println("numbers in " + tsv);
  }

  /** Creates from a pool of one shell, the pool full before each, times and phases recorded. */
  private record Pooled(
      int runs,
      Request.Destroy destroy,
      Map<String, List<Double>> totals,
      Map<String, List<Double>> phases) {
    void creates(SizeClass shell, Request.Create create, String name, String phasePrefix)
        throws Exception {
      try (XenEngine pooled = XenEngine.start(Map.of(shell, 1))) {
        for (int i = 0; i < runs; i++) {
          pooled.awaitPoolFull(Duration.ofMinutes(2));
          long start = System.nanoTime();
          Reply reply = pooled.handle(create);
          add(totals, name, millisSince(start));
          record(phases, phasePrefix + ": ", reply);
          pooled.handle(destroy);
        }
      }
    }
  }

  /** One line per sample set: median, minimum and the median's ratio to {@code baseline}. */
  private static void printTable(String title, Map<String, List<Double>> rows, double baseline) {
    System.out.printf("%-34s %12s %12s %10s%n", title, "median ms", "min ms", "vs xl");
    rows.forEach(
        (name, samples) ->
            System.out.printf(
                "%-34s %12.1f %12.1f %9.2fx%n",
                name,
                median(samples),
                samples.stream().mapToDouble(d -> d).min().orElse(0),
                median(samples) / baseline));
  }

  private static void record(Map<String, List<Double>> phases, String prefix, Reply reply) {
    if (!(reply instanceof Reply.Created created)) {
      throw new IllegalStateException("create failed: " + reply);
    }
    double execute = 0;
    for (Map.Entry<String, Double> phase : created.phasesMs().entrySet()) {
      add(phases, prefix + phase.getKey(), phase.getValue());
      if (!phase.getKey().startsWith("config") && !phase.getKey().startsWith("shell")) {
        execute += phase.getValue();
      }
    }
    add(phases, prefix + "execute phase (sum)", execute);
  }

  private static void add(Map<String, List<Double>> samples, String name, double value) {
    samples.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
  }

  static double millisSince(long start) {
    return (System.nanoTime() - start) / 1e6;
  }

  /** A reply's phases on one line, for where a request's time went: {@code " PHASE MS ..."}. */
  static String phases(Reply.Created created) {
    StringBuilder line = new StringBuilder();
    created.phasesMs().forEach((phase, ms) -> line.append(String.format(" %s %.0f", phase, ms)));
    return line.toString();
  }

  static double median(List<Double> samples) {
    List<Double> sorted = samples.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
