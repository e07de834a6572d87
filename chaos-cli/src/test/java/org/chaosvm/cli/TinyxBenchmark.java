package org.chaosvm.cli;

import static org.chaosvm.cli.CreateBenchmark.median;
import static org.chaosvm.cli.CreateBenchmark.millisSince;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Probes;
import org.chaosvm.rig.Xl;

/**
 * Benchmark, not a test: how fast tinyx VMs boot under {@code xl create}, against baselines, in one
 * run. Each VM (target/tinyx/NAME/vm.cfg, built on the host by {@code xen-rig/rig tinyx-bench}) is
 * created RUNS times; for each, the time {@code xl create} took, the time from its start until the
 * application answered, and the guest kernel's uptime when its init started the application:
 *
 * <pre>xen-rig/dom0/java org.chaosvm.cli.TinyxBenchmark RUNS NAME=PROBE... [--out FILE]</pre>
 *
 * <p>PROBE: {@code http:URL} (an HTTP answer), {@code ping:ADDRESS} (redis's +PONG), {@code
 * line:TEXT} (a console line; the VM then powers off by itself).
 */
public final class TinyxBenchmark {
  private static final Duration LIMIT = Duration.ofMinutes(5);

  private TinyxBenchmark() {}

  public static void main(String[] args) throws Exception {
    int runs = Integer.parseInt(args[0]);
    Path out = null;
    List<String[]> vms = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--out")) {
        out = Path.of(args[++i]);
      } else {
        int eq = args[i].indexOf('=');
        vms.add(new String[] {args[i].substring(0, eq), args[i].substring(eq + 1)});
      }
    }
    StringBuilder table =
        new StringBuilder(
            "| VM | xl create (s) | ready from create start (s) | ready after create returned (s)"
                + " | guest uptime at the app's start (s) |\n| --- | ---: | ---: | ---: | ---: |\n");
    for (String[] vm : vms) {
      List<Double> creates = new ArrayList<>();
      List<Double> readies = new ArrayList<>();
      List<Double> afters = new ArrayList<>();
      List<Double> uptimes = new ArrayList<>();
      for (int run = 0; run < runs; run++) {
        String name = vm[0];
        Xl.destroyIfPresent(name);
        ConsoleLog console = ConsoleLog.of(name).sinceNow();
        long start = System.nanoTime();
        Xl.create(Path.of("target/tinyx", name, "vm.cfg"));
        double create = millisSince(start);
        long returned = System.nanoTime();
        probe(vm[1], console);
        double ready = millisSince(start);
        double after = millisSince(returned);
        String started = console.awaitLineContaining("tinyx: starting ", LIMIT);
        double uptime =
            Double.parseDouble(started.replaceAll(".*\\(uptime ([0-9.]+) s\\).*", "$1")) * 1000;
        System.out.printf(
            "%s run %d: xl create %.0f ms, ready %.0f ms (%.0f ms after the create returned),"
                + " uptime at the app's start %.0f ms%n",
            name, run + 1, create, ready, after, uptime);
        creates.add(create);
        readies.add(ready);
        afters.add(after);
        uptimes.add(uptime);
        Xl.destroyIfPresent(name);
        Xl.awaitGone(name, LIMIT);
      }
      table.append(
          String.format(
              "| %s | %.2f | %.2f | %.2f | %.2f |%n",
              vm[0],
              median(creates) / 1000,
              median(readies) / 1000,
              median(afters) / 1000,
              median(uptimes) / 1000));
    }
    System.out.println();
    System.out.print(table);
    if (out != null) {
      Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, table);
    }
  }

  private static void probe(String probe, ConsoleLog console) {
    String kind = probe.substring(0, probe.indexOf(':'));
    String target = probe.substring(probe.indexOf(':') + 1);
    switch (kind) {
      case "http" -> Probes.awaitHttp(target, LIMIT);
      case "ping" -> {
        String answer = Probes.awaitRedisPing(target, LIMIT);
        if (!answer.equals("+PONG")) {
          throw new IllegalStateException("redis answered " + answer);
        }
      }
      case "line" -> console.awaitLineContaining(target, LIMIT);
      default -> throw new IllegalArgumentException("unknown probe " + probe);
    }
  }
}
