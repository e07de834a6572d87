package org.chaosvm.cli;

import static org.chaosvm.cli.CreateBenchmark.median;
import static org.chaosvm.cli.CreateBenchmark.millisSince;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.XlConfigReader;
import org.chaosvm.daemon.engine.SizeClass;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Probes;
import org.chaosvm.rig.Xl;

/**
 * Benchmark, not a test: how fast tinyx VMs boot, against baselines, in one run, under {@code xl
 * create} and under chaos from its pool. Each VM (a vm.cfg: the tinyx VMs' are built on the host by
 * {@code xen-rig/rig tinyx-bench}) is created RUNS times by each toolstack; for each, the time the
 * create took, the time from its start until the application answered, and, for a tinyx VM, the
 * guest kernel's uptime when its init started the application:
 *
 * <pre>
 * xen-rig/dom0/java org.chaosvm.cli.TinyxBenchmark RUNS APP,KERNEL,CFG=PROBE... [--out FILE.md]
 *     [--tsv FILE.tsv]
 * </pre>
 *
 * <p>APP and KERNEL label the VM in the tables; sizes and memory are read from CFG (its kernel, its
 * ramdisk, {@code memory}). PROBE: {@code http:URL} (an HTTP answer), {@code ping:ADDRESS} (redis's
 * +PONG), {@code line:TEXT} (a console line; the VM then powers off by itself or blocks). chaos is
 * a chaos-daemon process, as installed (its JVM options), with a pool of one shell of the VM's size
 * (and its kernel cache), and {@code chaos create} is the command's code in this JVM, against the
 * daemon's socket: the command's JVM start is not timed (seconds under TCG, a fraction of one on
 * hardware; {@link CreateBenchmark} times it). Each VM's files are copied to Dom0's own file system
 * first ({@link Vm#local}). FILE.tsv gets chaos's times, FILE-xl.tsv xl's.
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

    /**
     * The VM with its kernel, ramdisk and config copied into {@code dir}, on Dom0's own file
     * system, where a sysadmin keeps them: through the rig's share of the checkout (9p) each create
     * would pay for reading them page by page (xl create of the Python VM, paused: 3.7 s from the
     * share, 1.4 s from Dom0's own).
     */
    Vm local(Path dir) throws Exception {
      Files.createDirectories(dir);
      String text = Files.readString(cfg);
      List<Path> files = new ArrayList<>(List.of(config.kernel()));
      config.ramdisk().ifPresent(files::add);
      for (Path file : files) {
        Path copy = dir.resolve(file.getFileName());
        Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
        String quoted = "\"" + file + "\"";
        if (!text.contains(quoted)) {
          throw new IllegalArgumentException(cfg + " does not name " + quoted + " as it is");
        }
        text = text.replace(quoted, "\"" + copy + "\"");
      }
      Path copied = dir.resolve(cfg.getFileName());
      Files.writeString(copied, text);
      return new Vm(app, kernel, copied, XlConfigReader.read(copied, text), probe);
    }

    double kernelMib() throws Exception {
      return Files.size(config.kernel()) / 1048576.0;
    }

    /** A tinyx VM, whose init prints its start line (not the unikernel). */
    boolean tinyx() {
      return config.cmdline().contains("console=hvc0");
    }

    double vmMib() throws Exception {
      return kernelMib()
          + (config.ramdisk().isPresent() ? Files.size(config.ramdisk().get()) : 0) / 1048576.0;
    }
  }

  /** One toolstack's samples for one VM. */
  private static final class Samples {
    final List<Double> creates = new ArrayList<>();
    final List<Double> readies = new ArrayList<>();
    final List<Double> uptimes = new ArrayList<>();
  }

  /** A toolstack's create of the VM; returns when the toolstack says it is created. */
  private interface Create {
    void run() throws Exception;
  }

  /** One create: its time, the time until the application answered, the guest's uptime then. */
  private static void measure(Vm vm, String toolstack, int run, Samples samples, Create create)
      throws Exception {
    ConsoleLog console = ConsoleLog.of(vm.config().name()).sinceNow();
    long[] cpuBefore = dom0Cpu();
    long start = System.nanoTime();
    create.run();
    double created = millisSince(start);
    probe(vm.probe(), console);
    double ready = millisSince(start);
    long[] cpuAfter = dom0Cpu();
    System.out.printf(
        "  Dom0 CPU until ready: busy %d ms, of which nice %d ms; steal %d ms; the guest's %s%n",
        (cpuAfter[0] - cpuBefore[0]) * 10,
        (cpuAfter[1] - cpuBefore[1]) * 10,
        (cpuAfter[2] - cpuBefore[2]) * 10,
        guestCpu(vm.config().name()));
    double uptime = Double.NaN;
    if (vm.tinyx()) {
      String started = console.awaitLineContaining("tinyx: starting ", LIMIT);
      uptime = Double.parseDouble(started.replaceAll(".*\\(uptime ([0-9.]+) s\\).*", "$1")) * 1000;
    }
    System.out.printf(
        "%s (%s kernel), %s, run %d: create %.0f ms, ready %.0f ms, uptime at the app's start"
            + " %.0f ms%n",
        vm.app(), vm.kernel(), toolstack, run + 1, created, ready, uptime);
    samples.creates.add(created);
    samples.readies.add(ready);
    samples.uptimes.add(uptime);
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
            "| VM | kernel | kernel (MiB) | VM (MiB) | memory (MiB) | xl create (s) | ready, xl"
                + " (s) | chaos create (s) | ready, chaos (s) | guest uptime at the app's start"
                + " (s) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    String header = "app\tkernel\tkernel_mib\tvm_mib\tmemory_mib\tready_s\n";
    StringBuilder tsvChaos = new StringBuilder(header);
    StringBuilder tsvXl = new StringBuilder(header);
    Probes.warmUpHttp();
    Path local = Files.createTempDirectory("tinyx-bench");
    for (Vm shared : vms) {
      Vm vm = shared.local(local.resolve(shared.app() + "-" + shared.kernel()));
      Samples xl = new Samples();
      Samples chaos = new Samples();
      String name = vm.config().name();
      for (int run = 0; run < runs; run++) {
        Xl.destroyIfPresent(name);
        measure(vm, "xl", run, xl, () -> Xl.create(vm.cfg()));
        Xl.destroyIfPresent(name);
        Xl.awaitGone(name, LIMIT);
      }
      // chaos from its pool: a chaos-daemon process keeps a shell of the VM's size ready
      String size = SizeClass.of(vm.config(), DeviceMechanism.XENSTORE).toString();
      DaemonProcess daemon =
          new DaemonProcess(Files.createTempDirectory("tinyx-bench-daemon")).start(size + "=1");
      try {
        for (int run = 0; run < runs; run++) {
          daemon.awaitPool(size, 1);
          measure(
              vm,
              "chaos",
              run,
              chaos,
              () -> {
                DaemonProcess.Run created = daemon.chaos("create", "--json", vm.cfg().toString());
                if (created.code() != 0) {
                  throw new IllegalStateException("chaos create failed: " + created.err());
                }
                // where the create's time went, daemon side
                System.out.println("  chaos create: " + created.out().strip());
              });
          // A VM that powers off by itself (the Python one) may be going already.
          DaemonProcess.Run destroyed = daemon.chaos("destroy", name);
          if (destroyed.code() != 0) {
            System.out.println("  chaos destroy: " + destroyed.err().strip());
          }
          Xl.awaitGone(name, LIMIT);
        }
      } finally {
        daemon.stop();
      }
      table.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.2f | %.2f | %d | %.2f | %.2f | %.2f | %.2f | %s |%n",
              vm.app(),
              vm.kernel(),
              vm.kernelMib(),
              vm.vmMib(),
              vm.config().memoryMib(),
              median(xl.creates) / 1000,
              median(xl.readies) / 1000,
              median(chaos.creates) / 1000,
              median(chaos.readies) / 1000,
              vm.tinyx()
                  ? String.format(Locale.ROOT, "%.2f", median(uptimes(xl, chaos)) / 1000)
                  : "-"));
      tsvChaos.append(tsvLine(vm, median(chaos.readies)));
      tsvXl.append(tsvLine(vm, median(xl.readies)));
      try (var files = Files.list(vm.cfg().getParent())) {
        for (Path file : files.toList()) {
          Files.delete(file);
        }
      }
      Files.delete(vm.cfg().getParent());
    }
    Files.delete(local);
    System.out.println();
    System.out.print(table);
    System.out.println();
    System.out.print(tsvChaos);
    write(out, table.toString());
    write(tsvOut, tsvChaos.toString());
    if (tsvOut != null) {
      write(
          tsvOut.resolveSibling(tsvOut.getFileName().toString().replace(".tsv", "-xl.tsv")),
          tsvXl.toString());
    }
  }

  private static String tsvLine(Vm vm, double readyMs) throws Exception {
    return String.format(
        Locale.ROOT,
        "%s\t%s\t%.2f\t%.2f\t%d\t%.2f%n",
        vm.app(),
        vm.kernel(),
        vm.kernelMib(),
        vm.vmMib(),
        vm.config().memoryMib(),
        readyMs / 1000);
  }

  private static List<Double> uptimes(Samples... samples) {
    List<Double> all = new ArrayList<>();
    for (Samples each : samples) {
      all.addAll(each.uptimes);
    }
    return all;
  }

  /** The guest's vCPU time so far ({@code xl list}'s), or why there is none (it powered off). */
  private static String guestCpu(String name) {
    Command.Result list = Command.run(Xl.CALL_TIMEOUT, "xl", "list", name);
    if (list.succeeded()) {
      for (String line : list.output().split("\n")) {
        String[] fields = line.trim().split("\\s+");
        if (fields[0].equals(name)) {
          return fields[fields.length - 1] + " s";
        }
      }
    }
    return "(gone)";
  }

  /** Dom0's CPU time so far, in ticks of 10 ms: busy (all but idle and iowait), nice, steal. */
  private static long[] dom0Cpu() throws Exception {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    for (int i : new int[] {1, 2, 3, 6, 7}) {
      busy += Long.parseLong(f[i]);
    }
    return new long[] {busy, Long.parseLong(f[2]), Long.parseLong(f[8])};
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
