package org.chaosvm.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.engine.Caller;
import org.chaosvm.daemon.engine.SizeClass;
import org.chaosvm.daemon.engine.XenEngine;
import org.chaosvm.daemon.server.SocketServer;
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
 * Benchmark, not a test: save, restore and live migration to the same host of the same guests by
 * {@code xl save}/{@code xl restore}/{@code xl migrate} and by chaos (an engine in this JVM with a
 * pool, as the daemon has; the image written to and read from a file in Dom0's memory, as the
 * command would; {@code chaos migrate} run in this JVM against the engine's socket, its receive
 * side a {@code chaos migrate-receive} process as ssh would start it), with no other guest running
 * and with {@code N} noop unikernels running (default 99: 100 guests in all). The guests: the
 * unikernel's count mode (4 MiB; under chaos also as a noxs guest when the rig's Xen has noxs) and
 * the rig's Linux test guest (256 MiB, no devices). Prints medians and ratios, and writes {@code
 * target/bench/checkpoint.tsv} ({@code operation guest running xl_ms chaos_ms}). Run:
 *
 * <pre>xen-rig/rig run -- xen-rig/dom0/java org.chaosvm.cli.CheckpointBenchmark [RUNS] [--others N]
 *   [--unikernel-only]</pre>
 *
 * <p>Times are wall-clock around the toolstack's operation: xl's process from start to exit,
 * chaos's request from its start to its final reply, {@code chaos migrate} from its call to its
 * return; each save destroys the guest, each restore makes it again from the image just saved, each
 * migration moves it to a new domain. Both migrations are live ({@code xl migrate} always is) and
 * go through {@code sh -c} ({@code -s ''}): the rig has no sshd.
 */
public final class CheckpointBenchmark {
  private static final Duration LIMIT = Duration.ofMinutes(3);

  private CheckpointBenchmark() {}

  /**
   * A guest to save and restore: how to write its config, how long it needs to settle, and its
   * device mechanism under chaos (xl's is XenStore's: a noxs row's xl numbers are its XenStore
   * twin's).
   */
  private record Guest(String label, int memoryMib, Duration settle, DeviceMechanism devices) {
    boolean unikernel() {
      return label.startsWith("unikernel");
    }
  }

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
    // 4 MiB, not the unikernel's usual 1: xl cannot migrate a 1 MiB PV guest (Xen's least shadow
    // pool leaves its dirty bitmap no room, ENOMEM; chaos grows the pool, libxl does not).
    int unikernelMib = 4;
    Duration settle = Duration.ofSeconds(2);
    List<Guest> guests =
        new ArrayList<>(
            List.of(new Guest("unikernel", unikernelMib, settle, DeviceMechanism.XENSTORE)));
    if (NoxsDaemonCycle.PATCHED) {
      guests.add(new Guest("unikernel-noxs", unikernelMib, settle, DeviceMechanism.NOXS));
    }
    if (!unikernelOnly) {
      guests.add(
          new Guest(
              "linux", TestGuest.MEMORY_MIB, Duration.ofSeconds(3), DeviceMechanism.XENSTORE));
    }
    Map<SizeClass, Integer> pool = new LinkedHashMap<>();
    for (Guest guest : guests) {
      pool.put(new SizeClass(guest.memoryMib(), 1, guest.devices()), 1);
    }
    List<String> rows = new ArrayList<>(List.of("operation\tguest\trunning\txl_ms\tchaos_ms"));
    Path socket = dir.resolve("chaos.sock");
    try (XenEngine engine = XenEngine.start(pool);
        SocketServer server = SocketServer.start(socket, Optional.empty(), engine)) {
      for (int running : List.of(1, others + 1)) {
        List<String> background = new ArrayList<>();
        if (running > 1) {
          background = startOthers(engine, dir, running - 1);
        }
        Map<String, Double> xlUnikernel = Map.of();
        for (Guest guest : guests) {
          Map<String, Double> xl =
              guest.devices() == DeviceMechanism.NOXS ? xlUnikernel : xl(dir, guest, runs);
          if (guest.label().equals("unikernel")) {
            xlUnikernel = xl;
          }
          Map<String, Double> chaos = chaos(engine, socket, dir, guest, runs);
          for (String operation : List.of("save", "restore", "migrate")) {
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
    String memory = "memory = " + guest.memoryMib();
    if (guest.devices() == DeviceMechanism.NOXS) {
      return NoxsDaemonCycle.noxsConfigIn(dir, name, Unikernel.Mode.COUNT, memory);
    }
    if (guest.unikernel()) {
      return Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT, memory);
    }
    return Files.writeString(
        dir.resolve(name + ".cfg"), TestGuest.xlConfig(name, TestGuest.Mode.WAIT));
  }

  /** The guest booted to where it serves a suspend. */
  private static void awaitUp(ConsoleLog console, Guest guest) throws InterruptedException {
    console.awaitLineContaining(
        guest.unikernel() ? Unikernel.COUNT + "1" : TestGuest.GREETING, LIMIT);
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
      start = System.nanoTime();
      Command.run(LIMIT, "xl", "migrate", "-s", "", name, "xl migrate-receive").orThrow();
      add(samples, "migrate", CreateBenchmark.millisSince(start));
      Thread.sleep(guest.settle().toMillis());
    }
    Xl.destroy(name);
    return medians(samples);
  }

  private static Map<String, Double> chaos(
      XenEngine engine, Path socket, Path dir, Guest guest, int runs) throws Exception {
    String name = "ckb-chaos-" + guest.label();
    ConsoleLog console =
        guest.devices() == DeviceMechanism.NOXS
            ? new ConsoleLog(XenEngine.DEFAULT_LOG_DIR.resolve("console").resolve(name + ".log"))
                .sinceNow()
            : ConsoleLog.of(name).sinceNow();
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
      // As `chaos save` does: the client makes the file, the daemon opens it as the client and
      // libxenguest writes it.
      Files.write(image, new byte[0]);
      ByteArrayOutputStream toClient = new ByteArrayOutputStream();
      Reply saved =
          engine.handleImage(
              Caller.ROOT,
              new Request.Save(
                  Protocol.VERSION, new GuestRef(name), false, false, false, image.toString()),
              InputStream.nullInputStream(),
              toClient);
      add(samples, "save", CreateBenchmark.millisSince(start));
      if (!(saved instanceof Reply.Done)) {
        throw new IllegalStateException("save failed: " + saved);
      }
      if (!toClient.toString(StandardCharsets.UTF_8).contains("\"toFile\":true")) {
        throw new IllegalStateException("the image came in frames: " + toClient.size() + " bytes");
      }
      start = System.nanoTime();
      Reply restored =
          engine.handleImage(
              Caller.ROOT,
              new Request.Restore(Protocol.VERSION, null, false, false, image.toString()),
              InputStream.nullInputStream(),
              OutputStream.nullOutputStream());
      add(samples, "restore", CreateBenchmark.millisSince(start));
      if (!(restored instanceof Reply.Created back)) {
        throw new IllegalStateException("restore failed: " + restored);
      }
      // where the restore's time went, daemon side (the save's phases are in the engine's log)
      System.out.println("  restore phases (ms):" + CreateBenchmark.phases(back));
      Files.delete(image);
      Thread.sleep(guest.settle().toMillis());
      engine.awaitPoolFull(LIMIT);
      add(samples, "migrate", migrate(socket, name));
      Thread.sleep(guest.settle().toMillis());
    }
    engine.handle(new Request.Destroy(Protocol.VERSION, new GuestRef(name)));
    return medians(samples);
  }

  /** {@code chaos migrate --live -s '' NAME 'chaos migrate-receive'}, in ms. */
  private static double migrate(Path socket, String name) {
    String receive =
        Path.of("xen-rig/dom0/chaos").toAbsolutePath() + " migrate-receive --socket=" + socket;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    long start = System.nanoTime();
    int code =
        Chaos.run(
            new PrintWriter(out),
            new PrintWriter(err),
            "migrate",
            "--live",
            "-s",
            "",
            name,
            receive,
            "--socket=" + socket);
    double millis = CreateBenchmark.millisSince(start);
    if (code != 0) {
      throw new IllegalStateException("migrate failed (" + code + "): " + out + err);
    }
    return millis;
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
