package org.chaosvm.cli;

import static org.chaosvm.cli.CreateBenchmark.median;
import static org.chaosvm.cli.CreateBenchmark.millisSince;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.XlConfigReader;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Probes;
import org.chaosvm.rig.Xl;

/**
 * Benchmark, not a test: how fast tinyx VMs boot under {@code xl create}, against baselines, in one
 * run. Each VM (a vm.cfg: the tinyx VMs' are built on the host by {@code xen-rig/rig tinyx-bench})
 * is created RUNS times; for each, the time {@code xl create} took, the time from its start until
 * the application answered, and, for a tinyx VM, the guest kernel's uptime when its init started
 * the application:
 *
 * <pre>
 * xen-rig/dom0/java org.chaosvm.cli.TinyxBenchmark RUNS APP,KERNEL,CFG=PROBE... [--out FILE.md]
 *     [--tsv FILE.tsv]
 * </pre>
 *
 * <p>APP and KERNEL label the VM in the tables; sizes and memory are read from CFG (its kernel, its
 * ramdisk, {@code memory}). PROBE: {@code http:URL} (an HTTP answer), {@code ping:ADDRESS} (redis's
 * +PONG), {@code line:TEXT} (a console line; the VM then powers off by itself or blocks).
 */
public final class TinyxBenchmark {
  private static final Duration LIMIT = Duration.ofMinutes(5);

  private TinyxBenchmark() {}

  /** One VM of the benchmark: its labels, its config and how to see that it is ready. */
  private record Vm(String app, String kernel, Path cfg, GuestConfig config, String probe) {
    static Vm parse(String arg) throws Exception {
      int eq = arg.indexOf('=');
      String[] labels = arg.substring(0, eq).split(",", 3);
      Path cfg = Path.of(labels[2]);
      GuestConfig config = XlConfigReader.read(cfg, Files.readString(cfg));
      return new Vm(labels[0], labels[1], cfg, config, arg.substring(eq + 1));
    }

    double kernelMib() throws Exception {
      return Files.size(config.kernel()) / 1048576.0;
    }

    double vmMib() throws Exception {
      return kernelMib()
          + (config.ramdisk().isPresent() ? Files.size(config.ramdisk().get()) : 0) / 1048576.0;
    }
  }

  public static void main(String[] args) throws Exception {
    int runs = Integer.parseInt(args[0]);
    Path out = null;
    Path tsvOut = null;
    List<Vm> vms = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--out")) {
        out = Path.of(args[++i]);
      } else if (args[i].equals("--tsv")) {
        tsvOut = Path.of(args[++i]);
      } else {
        vms.add(Vm.parse(args[i]));
      }
    }
    StringBuilder table =
        new StringBuilder(
            "| VM | kernel | kernel (MiB) | VM (MiB) | memory (MiB) | xl create (s) | ready from"
                + " create start (s) | ready after create returned (s) | guest uptime at the app's"
                + " start (s) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    StringBuilder tsv = new StringBuilder("app\tkernel\tkernel_mib\tvm_mib\tmemory_mib\tready_s\n");
    for (Vm vm : vms) {
      List<Double> creates = new ArrayList<>();
      List<Double> readies = new ArrayList<>();
      List<Double> afters = new ArrayList<>();
      List<Double> uptimes = new ArrayList<>();
      String name = vm.config().name();
      boolean tinyx = vm.config().cmdline().contains("console=hvc0");
      for (int run = 0; run < runs; run++) {
        Xl.destroyIfPresent(name);
        ConsoleLog console = ConsoleLog.of(name).sinceNow();
        long start = System.nanoTime();
        Xl.create(vm.cfg());
        double create = millisSince(start);
        long returned = System.nanoTime();
        probe(vm.probe(), console);
        double ready = millisSince(start);
        double after = millisSince(returned);
        double uptime = Double.NaN;
        if (tinyx) {
          String started = console.awaitLineContaining("tinyx: starting ", LIMIT);
          uptime =
              Double.parseDouble(started.replaceAll(".*\\(uptime ([0-9.]+) s\\).*", "$1")) * 1000;
        }
        System.out.printf(
            "%s (%s kernel) run %d: xl create %.0f ms, ready %.0f ms (%.0f ms after the create"
                + " returned), uptime at the app's start %.0f ms%n",
            vm.app(), vm.kernel(), run + 1, create, ready, after, uptime);
        creates.add(create);
        readies.add(ready);
        afters.add(after);
        uptimes.add(uptime);
        Xl.destroyIfPresent(name);
        Xl.awaitGone(name, LIMIT);
      }
      table.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.2f | %.2f | %d | %.2f | %.2f | %.2f | %s |%n",
              vm.app(),
              vm.kernel(),
              vm.kernelMib(),
              vm.vmMib(),
              vm.config().memoryMib(),
              median(creates) / 1000,
              median(readies) / 1000,
              median(afters) / 1000,
              tinyx ? String.format(Locale.ROOT, "%.2f", median(uptimes) / 1000) : "-"));
      tsv.append(
          String.format(
              Locale.ROOT,
              "%s\t%s\t%.2f\t%.2f\t%d\t%.2f%n",
              vm.app(),
              vm.kernel(),
              vm.kernelMib(),
              vm.vmMib(),
              vm.config().memoryMib(),
              median(readies) / 1000));
    }
    System.out.println();
    System.out.print(table);
    System.out.println();
    System.out.print(tsv);
    write(out, table.toString());
    write(tsvOut, tsv.toString());
  }

  private static void write(Path file, String text) throws Exception {
    if (file != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, text);
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
