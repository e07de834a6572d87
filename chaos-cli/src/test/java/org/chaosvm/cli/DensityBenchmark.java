package org.chaosvm.cli;

import static org.chaosvm.cli.CreateBenchmark.median;
import static org.chaosvm.cli.CreateBenchmark.millisSince;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.engine.BootWatch;
import org.chaosvm.daemon.engine.SizeClass;
import org.chaosvm.daemon.engine.XenEngine;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.libxc.XenStore;
import org.chaosvm.noxs.Devctl;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.XenStored;
import org.chaosvm.rig.Xl;

/**
 * Benchmark, not a test: LightVM's Figure 9 in the rig. The n-th noop unikernel (1 MiB) is created
 * while n-1 run, for n = 1..N, by {@code xl create}, by chaos without a pool (the {@code --direct}
 * path), by chaos from its pool, by chaos from its pool of noxs shells (the unikernel as a noxs
 * guest: no XenStore in its create), and last the same on a Dom0 whose xenstored was stopped (the
 * engine as {@code chaos-daemon --no-xenstore} runs it); on a hypervisor without noxs the noxs
 * curves are left empty. Each guest's create time and boot time are recorded. {@code --noxs-only}
 * runs the noxs curves alone (for N = 1000). Run by {@code xen-rig/rig bench [N] [--max M]
 * [--noxs-only] [--vif]}, which draws the PNG on the host afterwards:
 *
 * <pre>
 * xen-rig/dom0/java org.chaosvm.cli.DensityBenchmark [N] [--max M] [--noxs-only] [--vif] [--trace]
 *     [--out DIR]
 * </pre>
 *
 * <p>Create time: from the toolstack's start on the request to its answer; xl's process from spawn
 * to exit, chaos's request from send to reply in this JVM ({@code --direct}: a fresh engine per
 * create, its start included, as the command does). Boot time: from the same start to the guest's
 * first console output in its ring, as Dom0 sees it (BootWatch: the ring mapped read-only and
 * polled every millisecond; for chaos, the engine's own watch, set before the unpause; for xl, this
 * program's, set as soon as xl has written the domain's console/ring-ref).
 *
 * <p>The next create starts once the guest blocks, its boot over ({@link #awaitIdle}).
 *
 * <p>With {@code --max M}, it then fills the host with pooled noop guests until a create fails or M
 * run, and reports how many the host held.
 */
public final class DensityBenchmark {
  private static final Duration BOOT_LIMIT = Duration.ofSeconds(60);
  private static final String NOXS = "chaos pooled noxs";
  private static final String NOXS_ALONE = "chaos pooled noxs no-xenstored";
  private static final String[] CURVES = {"xl", "chaos --direct", "chaos pooled", NOXS, NOXS_ALONE};

  /**
   * {@code --trace}: each pooled create's start, as the JVM's uptime, its time and its phases, on
   * stderr ("trace: CURVE N UPTIME_MS CREATE_MS PHASE=MS,..."), to set beside a log of the JVM's
   * own pauses ({@code -Xlog:gc:file=F:uptime}).
   */
  private static boolean trace;

  /**
   * {@code --vif}: each guest has one vif on xenbr0 (the noop unikernel does not connect it: what
   * is measured is the toolstack's work for it), for xl, chaos pooled and chaos pooled noxs;
   * written as density-vif.*.
   */
  private static boolean vif;

  private final int guests;
  private final Path configs;
  private final XenCtrl xc = XenCtrl.open();
  private final XenStore xs = XenStore.open();
  private final Map<String, double[]> create = new LinkedHashMap<>();
  private final Map<String, double[]> boot = new LinkedHashMap<>();

  /** Per curve, per phase: the n of each create that had the phase, and its time (ms). */
  private final Map<String, Map<String, Map<Integer, Double>>> phases = new LinkedHashMap<>();

  private final Map<String, Double> kibPerGuest = new LinkedHashMap<>();

  /**
   * The unikernel, copied into Dom0's own memory as a real Dom0's kernels are on its own disk:
   * through the rig's 9p share every look at the file (a stat, a map) is a round trip to QEMU.
   */
  private final Path kernel;

  private DensityBenchmark(int guests, Path configs) throws IOException {
    this.guests = guests;
    this.configs = configs;
    this.kernel = Files.copy(Unikernel.image(), configs.resolve("chaos-unikernel"));
    for (String curve : CURVES) {
      create.put(curve, missing(guests + 1));
      boot.put(curve, missing(guests + 1));
    }
  }

  /** Values not measured (a curve skipped): NaN, "-" in the TSV. */
  private static double[] missing(int length) {
    double[] values = new double[length];
    java.util.Arrays.fill(values, Double.NaN);
    return values;
  }

  public static void main(String[] args) throws Exception {
    List<String> arguments = new ArrayList<>(List.of(args));
    int max = intOption(arguments, "--max", 0);
    boolean noxsOnly = arguments.remove("--noxs-only");
    trace = arguments.remove("--trace");
    vif = arguments.remove("--vif");
    Path out = Path.of(stringOption(arguments, "--out", "target/bench"));
    int guests = arguments.isEmpty() ? 200 : Integer.parseInt(arguments.get(0));
    Files.createDirectories(out);
    DensityBenchmark bench = new DensityBenchmark(guests, Files.createTempDirectory("density"));
    long start = System.nanoTime();
    if (!noxsOnly) {
      bench.xlCurve();
      if (!vif) {
        bench.directCurve();
      }
      bench.pooledCurve("chaos pooled", DeviceMechanism.XENSTORE, true);
    }
    boolean noxs = noxsSupported();
    if (noxs) {
      bench.pooledCurve(NOXS, DeviceMechanism.NOXS, true);
    } else {
      System.err.println(NOXS + ": skipped: " + Devctl.NO_SUPPORT);
    }
    String maxReport = max > 0 ? bench.maximum(max) : "";
    if (noxs && !vif) {
      // Last: xenstored is not started again (org.chaosvm.rig.XenStored).
      bench.xs.close();
      XenStored.stop();
      bench.pooledCurve(NOXS_ALONE, DeviceMechanism.NOXS, false);
    }
    double minutes = (System.nanoTime() - start) / 60e9;
    bench.report(out, maxReport, minutes);
  }

  private void xlCurve() throws Exception {
    String curve = "xl";
    Set<DomId> known = new HashSet<>();
    xc.domainInfos().forEach(info -> known.add(info.domid()));
    long freeBefore = xc.physInfo().freePages();
    settle(curve);
    try (BootWatch watch = new BootWatch()) {
      for (int n = 1; n <= guests; n++) {
        Path config = write("xl-" + n);
        long start = System.nanoTime();
        Process xl = new ProcessBuilder("xl", "create", "-q", config.toString()).start();
        DomId domid = null;
        while (domid == null) {
          domid = findNewGuest(known, watch, start);
          if (domid == null && !xl.isAlive()) {
            domid = findNewGuest(known, watch, start);
            if (domid == null) {
              throw new IllegalStateException(
                  "xl create "
                      + config
                      + " made no domain: "
                      + new String(xl.getErrorStream().readAllBytes()));
            }
          }
          if (domid == null) {
            Thread.sleep(1);
          }
        }
        if (xl.waitFor() != 0) {
          throw new IllegalStateException("xl create " + config + " failed");
        }
        create.get(curve)[n] = millisSince(start);
        boot.get(curve)[n] = watch.awaitBoot(domid, BOOT_LIMIT).orElse(Double.NaN);
        awaitIdle(domid);
        progress(curve, n);
      }
    }
    kibPerGuest.put(curve, kibPerGuest(freeBefore));
    for (int n = 1; n <= guests; n++) {
      Xl.destroy("xl-" + n);
    }
  }

  /**
   * Waits until Dom0 is quiet, at least 90 % idle for two seconds running (a minute at most), and
   * prints how long that took: the previous curve's destroys leave Dom0 work to do for a while
   * (xenstored's watches, xenconsoled, udev), which would otherwise fall on this curve's first
   * creates and not on the others'.
   */
  private static void settle(String curve) throws Exception {
    long start = System.nanoTime();
    long deadline = start + Duration.ofMinutes(1).toNanos();
    int quietSeconds = 0;
    long[] before = cpuTimes();
    while (quietSeconds < 2 && System.nanoTime() < deadline) {
      Thread.sleep(1000);
      long[] after = cpuTimes();
      double idle = (double) (after[0] - before[0]) / Math.max(1, after[1] - before[1]);
      quietSeconds = idle >= 0.9 ? quietSeconds + 1 : 0;
      before = after;
    }
    System.err.printf(
        "%s: Dom0 %s after %.1f s%n",
        curve, quietSeconds >= 2 ? "quiet" : "still busy", millisSince(start) / 1000);
  }

  /**
   * Dom0's idle time and its time in all, in clock ticks, from /proc/stat (time stolen by Xen for
   * other domains left out: it is not Dom0's work).
   */
  private static long[] cpuTimes() throws IOException {
    String[] words = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i <= 7; i++) { // user nice system idle iowait irq softirq
      total += Long.parseLong(words[i]);
    }
    return new long[] {Long.parseLong(words[4]) + Long.parseLong(words[5]), total};
  }

  /**
   * Waits until the guest has finished booting and blocks (its vCPU blocked at two looks 5 ms
   * apart; 10 s at most), so that the next create runs beside n idle guests, not beside the end of
   * the last one's boot: under TCG that end (its device page read, its lines printed and served by
   * Dom0's console back end) takes longer than a create, and it slowed whichever creates it
   * overlapped.
   */
  private void awaitIdle(DomId domid) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    boolean blockedBefore = false;
    while (System.nanoTime() < deadline) {
      boolean blocked = xc.domainInfo(domid).map(DomainInfo::blocked).orElse(true);
      if (blocked && blockedBefore) {
        return;
      }
      blockedBefore = blocked;
      Thread.sleep(5);
    }
    System.err.println("domain " + domid + " still not idle after 10 s");
  }

  /** The domain xl is creating, once its console ring is known; then watched for its boot. */
  private DomId findNewGuest(Set<DomId> known, BootWatch watch, long start) {
    for (DomainInfo info : xc.domainInfos()) {
      if (known.contains(info.domid())) {
        continue;
      }
      String path = "/local/domain/" + info.domid().value() + "/console/ring-ref";
      var ringRef = xs.read(XenStore.NO_TRANSACTION, path);
      if (ringRef.isPresent()) {
        known.add(info.domid());
        watch.watch(info.domid(), Long.parseLong(ringRef.get()), start, Optional.empty());
        return info.domid();
      }
    }
    return null;
  }

  private void directCurve() throws Exception {
    String curve = "chaos --direct";
    long freeBefore = xc.physInfo().freePages();
    settle(curve);
    for (int n = 1; n <= guests; n++) {
      Request.Create request = createRequest("direct-" + n);
      long start = System.nanoTime();
      // As `chaos create --direct` runs: an engine of its own, started for this create.
      try (XenEngine direct = XenEngine.startDirect()) {
        double engineStart = millisSince(start);
        Reply.Created created = created(direct.handle(request));
        create.get(curve)[n] = millisSince(start);
        OptionalDouble booted = direct.awaitBoot(created.domid(), BOOT_LIMIT);
        boot.get(curve)[n] = booted.isPresent() ? engineStart + booted.getAsDouble() : Double.NaN;
        awaitIdle(DomId.of(created.domid()));
        record(curve, n, created);
      }
      progress(curve, n);
    }
    kibPerGuest.put(curve, kibPerGuest(freeBefore));
    try (XenEngine direct = XenEngine.startDirect()) {
      for (int n = 1; n <= guests; n++) {
        destroy(direct, "direct-" + n);
      }
    }
  }

  private static boolean noxsSupported() {
    try (Devctl devctl = Devctl.open()) {
      return devctl.supported();
    }
  }

  /** Pooled creates of {@code devices} guests; {@code xenstore} false on a Dom0 without it. */
  private void pooledCurve(String curve, DeviceMechanism devices, boolean xenstore)
      throws Exception {
    String prefix = devices == DeviceMechanism.XENSTORE ? "pooled-" : xenstore ? "noxs-" : "alone-";
    Map<SizeClass, Integer> pool = Map.of(new SizeClass(Unikernel.MEMORY_MIB, 1, devices), 1);
    try (XenEngine pooled =
        XenEngine.start(
            new XenEngine.Settings(
                pool, devices, XenEngine.DEFAULT_STATE_DIR, XenEngine.DEFAULT_LOG_DIR, xenstore))) {
      pooled.awaitPoolFull(Duration.ofMinutes(2));
      long freeBefore = xc.physInfo().freePages();
      settle(curve);
      for (int n = 1; n <= guests; n++) {
        pooled.awaitPoolFull(Duration.ofMinutes(2)); // the prepare phase is done ahead
        Request.Create request = createRequest(prefix + n);
        long uptime = trace ? ManagementFactory.getRuntimeMXBean().getUptime() : 0;
        long start = System.nanoTime();
        Reply.Created created = created(pooled.handle(request));
        create.get(curve)[n] = millisSince(start);
        if (trace) {
          System.err.printf(
              "trace: %s %d %d %.1f %s%n",
              curve, n, uptime, create.get(curve)[n], phaseList(created));
        }
        boot.get(curve)[n] = pooled.awaitBoot(created.domid(), BOOT_LIMIT).orElse(Double.NaN);
        awaitIdle(DomId.of(created.domid()));
        record(curve, n, created);
        progress(curve, n);
      }
      pooled.awaitPoolFull(Duration.ofMinutes(2));
      kibPerGuest.put(curve, kibPerGuest(freeBefore));
      for (int n = 1; n <= guests; n++) {
        destroy(pooled, prefix + n);
      }
    }
  }

  /** Pooled noop guests until a create fails or {@code max} run; what the host held. */
  private String maximum(int max) throws Exception {
    int made = 0;
    String stop = "stopped at the limit asked for (--max " + max + ")";
    long freeBefore = xc.physInfo().freePages();
    double lastCreates = 0;
    try (XenEngine pooled = XenEngine.start(Map.of(new SizeClass(Unikernel.MEMORY_MIB, 1), 2))) {
      while (made < max) {
        pooled.awaitPoolFull(Duration.ofMinutes(2));
        long start = System.nanoTime();
        Reply reply = pooled.handle(createRequest("max-" + (made + 1)));
        if (!(reply instanceof Reply.Created)) {
          stop = "create " + (made + 1) + " failed: " + reply;
          break;
        }
        made++;
        if (made > max - 10) {
          lastCreates += millisSince(start);
        }
        if (made % 100 == 0) {
          System.err.printf("max: %d guests, %d MiB free%n", made, xc.physInfo().freeMib());
        }
      }
      long freeAfter = xc.physInfo().freePages();
      String report =
          String.format(
              "maximum: %d noop guests running at once (%s); Xen's free memory went from %d to %d"
                  + " MiB (%.0f KiB per guest)",
              made,
              stop,
              freeBefore * 4 / 1024,
              freeAfter * 4 / 1024,
              made == 0 ? 0.0 : (freeBefore - freeAfter) * 4.0 / made);
      for (int n = 1; n <= made; n++) {
        destroy(pooled, "max-" + n);
      }
      return report;
    }
  }

  private void report(Path out, String maxReport, double minutes) throws IOException {
    StringBuilder tsv = new StringBuilder("n");
    for (String curve : CURVES) {
      tsv.append('\t').append(curve).append(" create\t").append(curve).append(" boot");
    }
    tsv.append('\n');
    for (int n = 1; n <= guests; n++) {
      tsv.append(n);
      for (String curve : CURVES) {
        tsv.append('\t')
            .append(cell(create.get(curve)[n]))
            .append('\t')
            .append(cell(boot.get(curve)[n]));
      }
      tsv.append('\n');
    }
    String base = vif ? "density-vif" : "density";
    Files.writeString(out.resolve(base + ".tsv"), tsv);

    StringBuilder md = new StringBuilder();
    long image = Files.size(kernel);
    md.append(
        String.format(
            "Density benchmark, %s: noop unikernel (%d bytes, %d MiB%s), N = %d, accel %s, %.1f"
                + " min%n%n",
            LocalDate.now(),
            image,
            Unikernel.MEMORY_MIB,
            vif ? ", one vif on xenbr0" : "",
            guests,
            System.getenv().getOrDefault("RIG_ACCEL", "unknown"),
            minutes));
    // The curves this run measured (--vif and --noxs-only skip some; the TSV keeps their columns).
    List<String> measured =
        java.util.Arrays.stream(CURVES)
            .filter(c -> java.util.Arrays.stream(create.get(c)).anyMatch(v -> !Double.isNaN(v)))
            .toList();
    md.append("Create and boot time of the n-th guest (ms):\n\n| n |");
    for (String curve : measured) {
      md.append(' ').append(curve).append(" create | ").append(curve).append(" boot |");
    }
    md.append("\n|---|").append("---|---|".repeat(measured.size())).append('\n');
    for (int n : sampleRows()) {
      md.append("| ").append(n).append(" |");
      for (String curve : measured) {
        md.append(String.format(" %.1f | %.1f |", create.get(curve)[n], boot.get(curve)[n]));
      }
      md.append('\n');
    }
    md.append("\nAgainst xl, and growth from n = 1 to n = N (means of the first and last 10):\n\n");
    md.append("| curve | at n=1 vs xl | at n=N vs xl | first 10 ms | last 10 ms | growth |\n");
    md.append("|---|---|---|---|---|---|\n");
    for (String curve : measured) {
      for (String kind : List.of("create", "boot")) {
        double[] values = (kind.equals("create") ? create : boot).get(curve);
        double[] xl = (kind.equals("create") ? create : boot).get("xl");
        double first = mean(values, 1, Math.min(10, guests));
        double last = mean(values, Math.max(1, guests - 9), guests);
        md.append(
            String.format(
                "| %s %s | %.3fx | %.3fx | %.1f | %.1f | %.2fx |%n",
                curve,
                kind,
                values[1] / xl[1],
                values[guests] / xl[guests],
                first,
                last,
                last / first));
      }
    }
    md.append(
        "\nchaos create phases: medians at the first and the last 10 guests (ms), and growth:\n\n"
            + "| phase |");
    List<String> chaosCurves = measured.stream().filter(c -> !c.equals("xl")).toList();
    for (String curve : chaosCurves) {
      md.append(String.format(" %1$s first 10 | %1$s last 10 | %1$s growth |", curve));
    }
    md.append("\n|---|").append("---|---|---|".repeat(chaosCurves.size())).append('\n');
    Set<String> names = new java.util.LinkedHashSet<>();
    chaosCurves.forEach(c -> names.addAll(phases.getOrDefault(c, Map.of()).keySet()));
    StringBuilder phaseTsv = new StringBuilder("curve\tphase\tfirst 10 ms\tlast 10 ms\tgrowth\n");
    for (String phase : names) {
      md.append("| ").append(phase).append(" |");
      for (String curve : chaosCurves) {
        Map<Integer, Double> samples = phases.getOrDefault(curve, Map.of()).get(phase);
        List<Double> first = window(samples, 1, Math.min(10, guests));
        List<Double> last = window(samples, Math.max(1, guests - 9), guests);
        if (first.isEmpty() || last.isEmpty()) {
          md.append(String.format(" %s | %s | |", cell(first), cell(last)));
        } else {
          double growth = median(last) / median(first);
          md.append(String.format(" %s | %s | %.2fx |", cell(first), cell(last), growth));
          phaseTsv.append(
              String.format(
                  "%s\t%s\t%s\t%s\t%.2f%n", curve, phase, cell(first), cell(last), growth));
        }
      }
      md.append('\n');
    }
    Files.writeString(out.resolve(base + "-phases.tsv"), phaseTsv);
    md.append(
        "\nMemory per running noop guest, from Xen's free memory before the first and after the N-th:\n\n");
    kibPerGuest.forEach((curve, kib) -> md.append(String.format("- %s: %.0f KiB%n", curve, kib)));
    if (!maxReport.isEmpty()) {
      md.append('\n').append(maxReport).append('\n');
    }
    Files.writeString(out.resolve(base + ".md"), md);
    System.out.println(md);
    System.out.println("written: " + out.resolve(base + ".tsv") + ", " + out.resolve(base + ".md"));
  }

  private List<Integer> sampleRows() {
    List<Integer> rows = new ArrayList<>();
    for (int n : new int[] {1, 2, 5, 10, 20, 50, 100, 150, 200, 300, 500, 1000}) {
      if (n < guests) {
        rows.add(n);
      }
    }
    rows.add(guests);
    return rows;
  }

  private Path write(String name) throws IOException {
    String kernelSetting = "kernel = \"" + kernel + "\"";
    return vif
        ? Unikernel.writeXlConfig(
            configs, name, Unikernel.Mode.NOOP, kernelSetting, "vif = [ \"bridge=xenbr0\" ]")
        : Unikernel.writeXlConfig(configs, name, Unikernel.Mode.NOOP, kernelSetting);
  }

  private Request.Create createRequest(String name) throws IOException {
    Path config = write(name);
    return new Request.Create(Protocol.VERSION, config.toString(), Files.readString(config), false);
  }

  private static Reply.Created created(Reply reply) {
    if (reply instanceof Reply.Created created) {
      return created;
    }
    throw new IllegalStateException("create failed: " + reply);
  }

  private static void destroy(XenEngine engine, String name) {
    Reply reply = engine.handle(new Request.Destroy(Protocol.VERSION, new GuestRef(name)));
    if (reply instanceof Reply.Error) {
      throw new IllegalStateException("destroy " + name + " failed: " + reply);
    }
  }

  /** A create's phases, for --trace: "name=ms,..." (spaces in names dropped). */
  private static String phaseList(Reply.Created created) {
    StringBuilder list = new StringBuilder();
    created
        .phasesMs()
        .forEach(
            (name, ms) ->
                list.append(list.isEmpty() ? "" : ",")
                    .append(name.replace(" ", ""))
                    .append(String.format("=%.1f", ms)));
    return list.toString();
  }

  private void record(String curve, int n, Reply.Created created) {
    Map<String, Map<Integer, Double>> samples =
        phases.computeIfAbsent(curve, k -> new LinkedHashMap<>());
    double sum = 0;
    for (Map.Entry<String, Double> phase : created.phasesMs().entrySet()) {
      samples.computeIfAbsent(phase.getKey(), k -> new LinkedHashMap<>()).put(n, phase.getValue());
      sum += phase.getValue();
    }
    samples.computeIfAbsent("(sum of phases)", k -> new LinkedHashMap<>()).put(n, sum);
  }

  /** The samples of the creates numbered {@code from} to {@code to}. */
  private static List<Double> window(Map<Integer, Double> samples, int from, int to) {
    List<Double> window = new ArrayList<>();
    if (samples != null) {
      samples.forEach(
          (n, ms) -> {
            if (n >= from && n <= to) {
              window.add(ms);
            }
          });
    }
    return window;
  }

  private static String cell(List<Double> samples) {
    return samples.isEmpty() ? "" : String.format("%.1f", median(samples));
  }

  private double kibPerGuest(long freePagesBefore) {
    return (freePagesBefore - xc.physInfo().freePages()) * 4.0 / guests;
  }

  private void progress(String curve, int n) {
    if (n % 25 == 0 || n == 1 || n == guests) {
      System.err.printf(
          "%s: guest %d: create %.1f ms, boot %.1f ms%n",
          curve, n, create.get(curve)[n], boot.get(curve)[n]);
    }
    if (n <= 3 && phases.containsKey(curve)) { // the first creates, cold: where their time goes
      StringBuilder line = new StringBuilder();
      phases
          .get(curve)
          .forEach(
              (phase, samples) ->
                  line.append(String.format(" %s %.1f;", phase, samples.getOrDefault(n, 0.0))));
      System.err.printf("%s: guest %d: phases (ms):%s%n", curve, n, line);
    }
  }

  private static String cell(double value) {
    return Double.isNaN(value) ? "-" : String.format("%.2f", value);
  }

  private static double mean(double[] values, int from, int to) {
    double sum = 0;
    int count = 0;
    for (int i = from; i <= to; i++) {
      if (!Double.isNaN(values[i])) {
        sum += values[i];
        count++;
      }
    }
    return count == 0 ? Double.NaN : sum / count;
  }

  private static int intOption(List<String> arguments, String name, int fallback) {
    return Integer.parseInt(stringOption(arguments, name, Integer.toString(fallback)));
  }

  private static String stringOption(List<String> arguments, String name, String fallback) {
    int at = arguments.indexOf(name);
    if (at < 0) {
      return fallback;
    }
    String value = arguments.get(at + 1);
    arguments.remove(at + 1);
    arguments.remove(at);
    return value;
  }
}
