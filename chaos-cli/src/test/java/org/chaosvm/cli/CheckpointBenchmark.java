package org.chaosvm.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.chaosvm.daemon.engine.Caller;
import org.chaosvm.daemon.engine.SizeClass;
import org.chaosvm.daemon.engine.XenEngine;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;

/**
 * Benchmark, not a test: save and restore of the same guests by {@code xl save}/{@code xl restore}
 * and by chaos (an engine in this JVM with a pool, as the daemon has; the image written to and read
 * from a file in Dom0's memory, as the command would), with no other guest running and with {@code
 * N} noop unikernels running (default 99: 100 guests in all). The guests: the unikernel's count
 * mode (1 MiB) and the rig's Linux test guest (256 MiB, no devices). Prints medians and ratios, and
 * writes {@code target/bench/checkpoint.tsv} ({@code operation guest running xl_ms chaos_ms}). Run:
 *
 * <pre>xen-rig/rig run -- xen-rig/dom0/java org.chaosvm.cli.CheckpointBenchmark [RUNS] [--others N]
 *   [--unikernel-only]</pre>
 *
 * <p>Times are wall-clock around the toolstack's operation: xl's process from start to exit,
 * chaos's request from its start to its final reply; each save destroys the guest, each restore
 * makes it again from the image just saved.
 */
public final class CheckpointBenchmark {
  private static final Duration LIMIT = Duration.ofMinutes(3);

  private CheckpointBenchmark() {}

  /** A guest to save and restore: how to write its config, and how long it needs to settle. */
  private record Guest(String label, int memoryMib, Duration settle) {}

  public static void main(String[] args) throws Exception {
    List<String> arguments = new ArrayList<>(List.of(args));
    int others = 99;
    int at = arguments.indexOf("--others");
    if (at >= 0) {
      others = Integer.parseInt(arguments.remove(at + 1));
      arguments.remove(at);
    }
    boolean unikernelOnly = arguments.remove("--unikernel-only");
    int runs = arguments.isEmpty() ? 5 : Integer.parseInt(arguments.get(0));
    Path dir = Files.createTempDirectory("chaos-ckbench");
    List<Guest> guests = new ArrayList<>(List.of(new Guest("unikernel", 1, Duration.ofSeconds(2))));
    if (!unikernelOnly) {
      guests.add(new Guest("linux", TestGuest.MEMORY_MIB, Duration.ofSeconds(3)));
    }
    Map<SizeClass, Integer> pool = new LinkedHashMap<>();
    for (Guest guest : guests) {
      pool.put(new SizeClass(guest.memoryMib(), 1), 1);
    }
    List<String> rows = new ArrayList<>(List.of("operation\tguest\trunning\txl_ms\tchaos_ms"));
    try (XenEngine engine = XenEngine.start(pool)) {
      for (int running : List.of(1, others + 1)) {
        List<String> background = new ArrayList<>();
        if (running > 1) {
          background = startOthers(engine, dir, running - 1);
        }
        for (Guest guest : guests) {
          Map<String, Double> xl = xl(dir, guest, runs);
          Map<String, Double> chaos = chaos(engine, dir, guest, runs);
          for (String operation : List.of("save", "restore")) {
            rows.add(
                String.format(
                    "%s\t%s\t%d\t%.1f\t%.1f",
                    operation, guest.label(), running, xl.get(operation), chaos.get(operation)));
            System.out.printf(
                "%-8s %-10s %4d guests running: xl %9.1f ms, chaos %9.1f ms (%.1fx faster)%n",
                operation,
                guest.label(),
                running,
                xl.get(operation),
                chaos.get(operation),
                xl.get(operation) / chaos.get(operation));
          }
        }
        for (String name : background) {
          engine.handle(new Request.Destroy(Protocol.VERSION, new GuestRef(name)));
        }
      }
    }
    Path tsv = Path.of("target/bench/checkpoint.tsv");
    Files.createDirectories(tsv.getParent());
    Files.write(tsv, rows);
    System.out.println("numbers in " + tsv);
  }

  /** {@code count} noop unikernels, created by the engine; their names. */
  private static List<String> startOthers(XenEngine engine, Path dir, int count)
      throws IOException {
    Path config = Unikernel.writeXlConfig(dir, "ckb-other", Unikernel.Mode.NOOP);
    Request.Create create =
        new Request.Create(Protocol.VERSION, config.toString(), Files.readString(config), false);
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      Reply reply =
          engine.handle(
              new Request.Create(
                  Protocol.VERSION, create.configPath(), create.configText(), false, i));
      if (!(reply instanceof Reply.Created created)) {
        throw new IllegalStateException("cannot start the other guests: " + reply);
      }
      names.add(created.name());
    }
    System.out.printf("%d other guests running%n", count);
    return names;
  }

  private static Path config(Path dir, Guest guest, String name) throws IOException {
    if (guest.label().equals("unikernel")) {
      return Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT);
    }
    return Files.writeString(
        dir.resolve(name + ".cfg"), TestGuest.xlConfig(name, TestGuest.Mode.WAIT));
  }

  /** The guest booted to where it serves a suspend. */
  private static void awaitUp(ConsoleLog console, Guest guest) throws InterruptedException {
    console.awaitLineContaining(
        guest.label().equals("unikernel") ? Unikernel.COUNT + "1" : TestGuest.GREETING, LIMIT);
    Thread.sleep(guest.settle().toMillis());
  }

  private static Map<String, Double> xl(Path dir, Guest guest, int runs) throws Exception {
    String name = "ckb-xl-" + guest.label();
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Command.run(Xl.CALL_TIMEOUT, "xl", "create", config(dir, guest, name).toString()).orThrow();
    awaitUp(console, guest);
    Path image = dir.resolve(name + ".img");
    Map<String, List<Double>> samples = new LinkedHashMap<>();
    for (int i = 0; i < runs; i++) {
      long start = System.nanoTime();
      Command.run(LIMIT, "xl", "save", name, image.toString()).orThrow();
      add(samples, "save", CreateBenchmark.millisSince(start));
      start = System.nanoTime();
      Command.run(LIMIT, "xl", "restore", image.toString()).orThrow();
      add(samples, "restore", CreateBenchmark.millisSince(start));
      Files.delete(image);
      Thread.sleep(guest.settle().toMillis());
    }
    Xl.destroy(name);
    return medians(samples);
  }

  private static Map<String, Double> chaos(XenEngine engine, Path dir, Guest guest, int runs)
      throws Exception {
    String name = "ckb-chaos-" + guest.label();
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Path config = config(dir, guest, name);
    Reply created =
        engine.handle(
            new Request.Create(
                Protocol.VERSION, config.toString(), Files.readString(config), false));
    if (!(created instanceof Reply.Created)) {
      throw new IllegalStateException("create failed: " + created);
    }
    awaitUp(console, guest);
    Path image = dir.resolve(name + ".img");
    Map<String, List<Double>> samples = new LinkedHashMap<>();
    for (int i = 0; i < runs; i++) {
      engine.awaitPoolFull(LIMIT);
      long start = System.nanoTime();
      Reply saved;
      try (OutputStream out = Files.newOutputStream(image)) {
        saved =
            engine.handleImage(
                Caller.ROOT,
                new Request.Save(Protocol.VERSION, new GuestRef(name), false, false),
                InputStream.nullInputStream(),
                out);
      }
      add(samples, "save", CreateBenchmark.millisSince(start));
      if (!(saved instanceof Reply.Done)) {
        throw new IllegalStateException("save failed: " + saved);
      }
      start = System.nanoTime();
      Reply restored;
      try (InputStream in = new BufferedInputStream(Files.newInputStream(image), 1 << 20)) {
        Codec.readLine(in); // the save's image reply; the frames follow
        restored =
            engine.handleImage(
                Caller.ROOT,
                new Request.Restore(Protocol.VERSION, null, false),
                in,
                OutputStream.nullOutputStream());
      }
      add(samples, "restore", CreateBenchmark.millisSince(start));
      if (!(restored instanceof Reply.Created)) {
        throw new IllegalStateException("restore failed: " + restored);
      }
      Files.delete(image);
      Thread.sleep(guest.settle().toMillis());
    }
    engine.handle(new Request.Destroy(Protocol.VERSION, new GuestRef(name)));
    return medians(samples);
  }

  private static void add(Map<String, List<Double>> samples, String name, double value) {
    samples.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
  }

  private static Map<String, Double> medians(Map<String, List<Double>> samples) {
    Map<String, Double> medians = new LinkedHashMap<>();
    samples.forEach((name, values) -> medians.put(name, CreateBenchmark.median(values)));
    return medians;
  }
}
