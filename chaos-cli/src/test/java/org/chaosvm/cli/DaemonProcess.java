package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.chaosvm.rig.Xl;

/** chaos-daemon run as its own process for an e2e test, and the chaos command pointed at it. */
final class DaemonProcess {
  static final Duration LIMIT = Duration.ofSeconds(180);

  record Run(int code, String out, String err) {}

  final Path socket;
  final Path log;
  private final List<String> options = new ArrayList<>();
  private Process process;

  private static final AtomicInteger STARTED = new AtomicInteger();

  /** A daemon on {@code dir/chaos.sock}; each instance logs to a file of its own. */
  DaemonProcess(Path dir) {
    this.socket = dir.resolve("chaos.sock");
    this.log = dir.resolve("daemon-" + STARTED.incrementAndGet() + ".log");
  }

  /** Adds options to the daemon's command line (before {@link #start}). */
  DaemonProcess option(String... words) {
    options.addAll(List.of(words));
    return this;
  }

  /**
   * chaos as its package installs it: its jars and their dependencies', no folder (the rig gives
   * it, {@code xen-rig/dom0/classpath.sh}); else this JVM's classpath. The daemon and the chaos
   * command run from it.
   */
  private static final String INSTALLED =
      System.getProperty("chaos.rig.installedClasspath", System.getProperty("java.class.path"));

  /**
   * A class-data sharing archive of the daemon's classes for the daemons of this test run: the
   * first daemon that stops cleanly writes it as it exits, later ones map it instead of loading and
   * verifying each class (under TCG, the daemon's ready line 17 s after its start instead of 27).
   * Only from the installed classpath: the JVM archives nothing of a classpath that holds a folder.
   */
  private static final Path CLASS_ARCHIVE =
      Path.of(
          System.getProperty("java.io.tmpdir"),
          "chaos-e2e-daemon-" + ProcessHandle.current().pid() + ".jsa");

  /** Whether a daemon is writing the archive (at its exit). */
  private static final AtomicBoolean ARCHIVING = new AtomicBoolean();

  /** Where this daemon writes the archive as it exits, if it is the one that does. */
  private Path archiving;

  /** Starts the daemon with these pool targets ("256x1=1") and waits until the pool is full. */
  DaemonProcess start(String... pool) throws Exception {
    long start = System.nanoTime();
    List<String> argv = java(INSTALLED, "org.chaosvm.daemon.ChaosDaemon");
    argv.add(1, "@" + DAEMON_JVM_OPTIONS.toAbsolutePath()); // the installed daemon's options
    argv.addAll(2, archiveOptions());
    argv.addAll(List.of("--socket", socket.toString()));
    argv.addAll(options);
    for (String target : pool) {
      argv.addAll(List.of("--pool", target));
    }
    process =
        new ProcessBuilder(argv)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    long deadline = System.nanoTime() + LIMIT.toNanos();
    double engine = 0;
    double listening = 0;
    while (!logText().contains("pool at its targets") && pool.length > 0
        || !logText().contains("chaos-daemon ready")) {
      assertTrue(process.isAlive(), "chaos-daemon died:\n" + logText());
      assertTrue(System.nanoTime() < deadline, "chaos-daemon not ready:\n" + logText());
      Thread.sleep(250);
      String text = logText();
      if (engine == 0 && !text.isEmpty()) {
        engine = (System.nanoTime() - start) / 1e9; // its first line: the engine is starting
      }
      if (listening == 0 && text.contains("listening on")) {
        listening = (System.nanoTime() - start) / 1e9;
      }
    }
    // Where a start's time goes under TCG: the JVM until the first log line, the engine's start
    // (adoption, clean-up) until the socket listens, then the pool's first shells.
    System.out.printf(
        "chaos-daemon ready in %.1f s (first log line %.1f s, listening %.1f s)%n",
        (System.nanoTime() - start) / 1e9, engine, listening);
    return this;
  }

  /** The installed daemon's JVM options (a java @argument file), from the checkout. */
  static final Path DAEMON_JVM_OPTIONS = Path.of("chaos-cli/src/main/dist/lib/chaos-daemon.jvm");

  /**
   * A command line that runs {@code mainClass} of this build in a JVM of its own. Its code is
   * compiled by C1 alone: a test's process lives a minute or two, too short for C2's compiles to
   * pay back the CPU they take on the rig's Dom0 (one vCPU, under TCG).
   */
  static List<String> java(String mainClass) {
    return java(System.getProperty("java.class.path"), mainClass);
  }

  private static List<String> java(String classpath, String mainClass) {
    return new ArrayList<>(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:TieredStopAtLevel=1",
            "-cp",
            classpath,
            mainClass));
  }

  /** The JVM options for the shared class archive: to map it, to write it, or none. */
  private List<String> archiveOptions() {
    if (INSTALLED.equals(System.getProperty("java.class.path"))) {
      return List.of(); // not the rig's installed classpath: it may hold folders
    }
    if (Files.exists(CLASS_ARCHIVE)) {
      return List.of("-XX:SharedArchiveFile=" + CLASS_ARCHIVE);
    }
    if (!ARCHIVING.compareAndSet(false, true)) {
      return List.of(); // another daemon will write it
    }
    archiving = CLASS_ARCHIVE.resolveSibling(CLASS_ARCHIVE.getFileName() + ".part");
    // Without a line in its log for each class the archive leaves out (some 240: picocli's).
    return List.of("-XX:ArchiveClassesAtExit=" + archiving, "-Xlog:cds=off");
  }

  /**
   * After the daemon's exit: the archive it wrote, if it was writing one, becomes the shared one;
   * if it did not finish it (killed), another daemon may write it.
   */
  private void archived() throws IOException {
    if (archiving == null) {
      return;
    }
    if (Files.exists(archiving) && process.exitValue() == 143) { // SIGTERM: stopped cleanly
      Files.move(archiving, CLASS_ARCHIVE, StandardCopyOption.ATOMIC_MOVE);
    } else {
      Files.deleteIfExists(archiving);
      ARCHIVING.set(false);
    }
    archiving = null;
  }

  /** The command line of the chaos command pointed at this daemon, as a process of its own. */
  List<String> chaosCommand(String... args) {
    List<String> argv = java(INSTALLED, "org.chaosvm.cli.Chaos");
    argv.addAll(List.of(args));
    argv.add("--socket=" + socket);
    return argv;
  }

  /** The chaos command pointed at this daemon, run in this JVM. */
  Run chaos(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> argv = new ArrayList<>(List.of(args));
    argv.add("--socket=" + socket);
    int code = Chaos.run(new PrintWriter(out), new PrintWriter(err), argv.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  /** Waits until {@code chaos list} has a line for {@code name} that matches {@code line}. */
  String awaitListed(String name, String line) throws InterruptedException {
    Pattern pattern = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\s+" + line + "$");
    long deadline = System.nanoTime() + LIMIT.toNanos();
    String list = "";
    while (System.nanoTime() < deadline) {
      list = chaos("list").out();
      Matcher m = pattern.matcher(list);
      if (m.find()) {
        return m.group();
      }
      Thread.sleep(500);
    }
    throw new AssertionError("chaos list never showed " + name + " as /" + line + "/:\n" + list);
  }

  /** Waits until {@code chaos info} shows the size class with {@code ready} shells. */
  void awaitPool(String size, int ready) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      Run info = chaos("info");
      if (info.code() == 0 && info.out().matches("(?s).*" + size + "\\s+" + ready + " / .*")) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        "pool never reached " + ready + " ready " + size + " shells:\n" + logText());
  }

  /** Stops the daemon as systemd does (SIGTERM) and returns its log. */
  String stop() throws Exception {
    process.destroy();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "chaos-daemon did not stop");
    archived();
    return logText();
  }

  /** Destroys every guest the daemon lists (a failed test's leftovers); their names. */
  List<String> destroyGuests() {
    java.util.regex.Matcher guest =
        java.util.regex.Pattern.compile("\"domid\":(\\d+),\"name\":\"([^\"]+)\"")
            .matcher(chaos("list", "--json").out());
    List<String> destroyed = new java.util.ArrayList<>();
    while (guest.find()) {
      if (!guest.group(1).equals("0")) {
        System.out.println("destroying " + guest.group(2) + ", left by the test");
        chaos("destroy", guest.group(2));
        destroyed.add(guest.group(2));
      }
    }
    return destroyed;
  }

  /** Kills the daemon outright (SIGKILL), as a crash would. */
  void kill() throws InterruptedException, IOException {
    process.destroyForcibly();
    if (process.waitFor(30, TimeUnit.SECONDS)) {
      archived();
    }
  }

  /** The daemon's process id. */
  long pid() {
    return process.pid();
  }

  /** Each descriptor the daemon holds and what it is, one a line, from /proc. */
  String openDescriptors() throws IOException {
    StringBuilder text = new StringBuilder();
    try (Stream<Path> fds = Files.list(descriptorDir())) {
      for (Path fd : fds.toList()) {
        try {
          text.append(fd.getFileName()).append(" -> ").append(Files.readSymbolicLink(fd));
        } catch (IOException e) {
          text.append(fd.getFileName()).append(" (gone)");
        }
        text.append('\n');
      }
    }
    return text.toString();
  }

  /** How many descriptors the daemon holds, from /proc. */
  long descriptorCount() throws IOException {
    try (Stream<Path> fds = Files.list(descriptorDir())) {
      return fds.count();
    }
  }

  private Path descriptorDir() {
    return proc().resolve("fd");
  }

  /** The daemon's directory in /proc. */
  private Path proc() {
    return Path.of("/proc", Long.toString(pid()));
  }

  /** A daemon's threads, open descriptors and resident memory. */
  record Status(long threads, long fds, long rssKib) {}

  /** The daemon's {@link Status} now, from /proc. */
  Status status() throws IOException {
    long threads = 0;
    long rss = 0;
    for (String line : Files.readAllLines(proc().resolve("status"))) {
      if (line.startsWith("Threads:")) {
        threads = Long.parseLong(line.substring(8).trim());
      } else if (line.startsWith("VmRSS:")) {
        rss = Long.parseLong(line.substring(6).replace("kB", "").trim());
      }
    }
    return new Status(threads, descriptorCount(), rss);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Waits until xl list shows exactly {@code names}, besides the pool's shells. */
  static void awaitOnly(List<String> names) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!guestNames().equals(names) && System.nanoTime() < deadline) {
      Thread.sleep(250);
    }
    assertEquals(names, guestNames());
  }

  /** The domains xl list shows, the pool's shells aside. */
  static List<String> guestNames() {
    return Xl.domainNames().stream().filter(name -> !name.startsWith("chaos-shell-")).toList();
  }

  String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }
}
