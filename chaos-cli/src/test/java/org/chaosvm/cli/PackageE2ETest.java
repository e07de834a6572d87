package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.chaosvm.noxs.Devctl;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.PtySession;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian packages in Dom0, as a sysadmin uses them: {@code dpkg -i}, the daemon started with
 * the unit's command line and configuration (Dom0 here has no systemd), a guest's console shown
 * through the installed command, an upgrade under a running guest that the daemon then adopts, the
 * daemon's class-data archive written at its clean stop and mapped at its next start, and {@code
 * dpkg --purge} leaving nothing behind. One test: each step needs the one before. The installed
 * command runs once (each of its JVM starts costs 15 to 30 s under TCG): the other requests are
 * this build's chaos command in the test's JVM, and the README's demo runs the whole cycle through
 * the installed one.
 */
@Tag("xen")
class PackageE2ETest {
  private static final Duration LIMIT = Duration.ofSeconds(300);
  private static final Path DEBS = Path.of("packaging/target/debs");
  private static final Path UNIT = Path.of("/lib/systemd/system/chaos-daemon.service");
  private static final Path CONFFILE = Path.of("/etc/chaos/chaos-daemon.conf");
  private static final String CHAOS = "/usr/bin/chaos";
  private static final Path CACHE = Path.of("/var/cache/chaos");

  /** What the chaos package, its maintainer scripts and its daemon make, and purge removes. */
  private static final List<Path> MADE =
      List.of(
          Path.of("/usr/share/chaos"),
          Path.of(CHAOS),
          Path.of("/usr/sbin/chaos-daemon"),
          UNIT,
          Path.of("/etc/chaos"),
          Path.of("/etc/default/chaos-daemon"),
          Path.of("/usr/share/man/man8/chaos-daemon.8.gz"),
          Path.of("/var/lib/chaos"),
          Path.of("/var/log/chaos"),
          CACHE,
          Path.of("/run/chaos"),
          Path.of("/usr/bin/tinyx"),
          Path.of("/usr/share/tinyx"));

  @TempDir static Path dir;
  private static Process daemon;
  private static final Path DAEMON_LOG = Path.of("/tmp/package-chaos-daemon.log");

  @Test
  void installedTheyServeGuestsAnUpgradeHarmsNoneAndPurgeLeavesNothing() throws Exception {
    // Both packages at once; their commands' versions and the shipped configuration are checked
    // on the build host (packaging/src/deb/check-debs), where each costs no JVM start under TCG.
    Command.Result installed = run("dpkg", "-i", deb("chaos").toString(), deb("tinyx").toString());
    step("installed");
    assertTrue(installed.output().contains("Setting up chaos"), installed.output());
    assertTrue(installed.output().contains("Setting up tinyx"), installed.output());
    assertTrue(run("getent", "group", "chaos").output().startsWith("chaos:"));
    assertTrue(
        run("getent", "passwd", "chaos-bootloader").output().startsWith("chaos-bootloader:"));

    // A guest from before the upgrade, made with no daemon (chaos create --direct, this build's
    // in this JVM: the installed one's JVM start would cost a minute of the suite).
    Path direct = Unikernel.writeXlConfig(dir, "pkg-direct", Unikernel.Mode.NOOP);
    chaos("create", "--direct", direct.toString());
    String domid = run("xl", "domid", "pkg-direct").output().strip();
    step("created pkg-direct with chaos create --direct");

    // The upgrade (the same package again) keeps a changed conffile and harms no guest.
    Files.writeString(
        CONFFILE,
        Files.readString(CONFFILE) + "# changed by the sysadmin\n",
        StandardOpenOption.TRUNCATE_EXISTING);
    run("dpkg", "-i", deb("chaos").toString());
    step("upgraded");
    assertTrue(Files.readString(CONFFILE).endsWith("# changed by the sysadmin\n"));
    assertEquals(domid, run("xl", "domid", "pkg-direct").output().strip());

    // The daemon as the unit starts it (its directories made first, as systemd makes them, and
    // the unit's environment), with one shell instead of the configuration's four: the command
    // line's settings win. It adopts the guest.
    startDaemon();
    step("the daemon started");
    String listed = chaos("list");
    assertTrue(
        listed.matches("(?s).*\\npkg-direct\\s+" + domid + "\\s.*"),
        "the daemon adopts the guest:\n" + listed);

    // A guest created, then shown through the installed command: a noxs guest's console is the
    // daemon's to serve, streamed to the command (on a hypervisor without noxs, a pooled XenStore
    // guest is created by the installed command instead, and has no such console).
    boolean noxs = noxs();
    String name = noxs ? "pkg-noxs" : "pkg-pooled";
    Path config =
        noxs
            ? Unikernel.writeXlConfig(dir, name, Unikernel.Mode.NOOP, "dev_method = \"noxs\"")
            : Unikernel.writeXlConfig(dir, name, Unikernel.Mode.NOOP, "memory = 256");
    String created =
        noxs
            ? chaos("create", config.toString())
            : run(CHAOS, "create", config.toString()).output();
    assertTrue(created.contains("created " + name), created);
    step("created " + name);
    if (noxs) {
      try (PtySession console = PtySession.start(List.of(CHAOS, "console", name))) {
        awaitShown(console, Unikernel.DEVICE_PAGE);
        console.type("\u001d"); // Ctrl-]
        assertEquals(0, console.awaitExit(Duration.ofSeconds(60)), console.screen());
      }
      step("chaos console " + name);
    }
    chaos("destroy", name);
    chaos("destroy", "pkg-direct");
    stopDaemon();
    assertEquals(List.of("Domain-0"), Xl.domainNames());

    // The clean stop left a class-data archive of the daemon's classes in its cache directory;
    // the next start maps it.
    List<Path> archives;
    try (var files = Files.list(CACHE)) {
      archives = files.filter(f -> f.getFileName().toString().endsWith(".jsa")).toList();
    }
    assertEquals(1, archives.size(), "one class archive in " + CACHE + ": " + archives);
    startDaemon();
    step("the daemon started again, with its class archive");
    String maps = Files.readString(Path.of("/proc/" + daemon.pid() + "/maps"));
    assertTrue(maps.contains(archives.get(0).toString()), "the archive is not mapped:\n" + maps);
    stopDaemon();

    run("dpkg", "--purge", "chaos", "tinyx");
    step("purged");
    assertFalse(Command.run(LIMIT, "dpkg", "-s", "chaos").succeeded(), "chaos is installed");
    assertFalse(Command.run(LIMIT, "dpkg", "-s", "tinyx").succeeded(), "tinyx is installed");
    assertEquals(List.of(), present(MADE), "left by dpkg --purge");
    assertFalse(Command.run(LIMIT, "getent", "group", "chaos").succeeded(), "the group is left");
    assertFalse(
        Command.run(LIMIT, "getent", "passwd", "chaos-bootloader").succeeded(),
        "the bootloader's user is left");
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (daemon != null && daemon.isAlive()) {
      daemon.destroyForcibly();
      daemon.waitFor(30, TimeUnit.SECONDS);
    }
    for (String guest : List.of("pkg-direct", "pkg-pooled", "pkg-noxs")) { // after a failure
      Xl.destroyIfPresent(guest);
    }
    Command.run(LIMIT, "dpkg", "--purge", "chaos", "tinyx");
  }

  private static void startDaemon() throws Exception {
    List<String> unit = Files.readAllLines(UNIT);
    List<String> argv = new ArrayList<>(List.of(unitValues(unit, "ExecStart").get(0).split(" ")));
    argv.addAll(List.of("--pool", "256x1=1"));
    for (String made :
        List.of("/run/chaos", "/var/lib/chaos", "/var/log/chaos", CACHE.toString())) {
      Files.createDirectories(Path.of(made));
    }
    ProcessBuilder builder =
        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(DAEMON_LOG.toFile());
    for (String setting : unitValues(unit, "Environment")) { // NAME=VALUE
      String[] nameValue = setting.split("=", 2);
      builder.environment().put(nameValue[0], nameValue[1]);
    }
    long start = System.nanoTime();
    daemon = builder.start();
    long deadline = start + LIMIT.toNanos();
    while (!Files.readString(DAEMON_LOG).contains("pool at its targets")) {
      assertTrue(daemon.isAlive(), "chaos-daemon died:\n" + Files.readString(DAEMON_LOG));
      assertTrue(System.nanoTime() < deadline, "not ready:\n" + Files.readString(DAEMON_LOG));
      Thread.sleep(500);
    }
    System.out.printf(
        "the installed chaos-daemon ready in %.1f s (%s)%n",
        (System.nanoTime() - start) / 1e9, String.join(" ", argv));
  }

  /** The values of the unit's {@code KEY=} lines, in order. */
  private static List<String> unitValues(List<String> unit, String key) {
    return unit.stream()
        .filter(line -> line.startsWith(key + "="))
        .map(line -> line.substring(key.length() + 1))
        .toList();
  }

  private static void stopDaemon() throws Exception {
    daemon.destroy(); // SIGTERM, as systemd stops it
    assertTrue(daemon.waitFor(120, TimeUnit.SECONDS), "chaos-daemon did not stop");
    System.out.println("--- the installed chaos-daemon's log ---\n" + Files.readString(DAEMON_LOG));
  }

  private static boolean noxs() {
    try (Devctl devctl = Devctl.open()) {
      return devctl.supported();
    }
  }

  private static void awaitShown(PtySession terminal, String text) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (!terminal.screen().contains(text)) {
      assertTrue(System.nanoTime() < deadline, "never shown: " + text + "\n" + terminal.screen());
      Thread.sleep(250);
    }
  }

  private static Path deb(String name) throws IOException {
    assumeTrue(Files.isDirectory(DEBS), "no packages in " + DEBS + ": build them first");
    try (Stream<Path> debs = Files.list(DEBS)) {
      return debs.filter(p -> p.getFileName().toString().startsWith(name + "_"))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + name + " package in " + DEBS));
    }
  }

  private static String debVersion(Path deb) {
    Matcher m = Pattern.compile("_([^_]+)_all\\.deb$").matcher(deb.getFileName().toString());
    assertTrue(m.find(), deb.toString());
    return m.group(1);
  }

  /**
   * The chaos command of this build, in this JVM, on the installed daemon's socket: for the checks
   * around the installed command's own calls (each a JVM start of some 15 s under TCG).
   */
  private static String chaos(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Chaos.run(new PrintWriter(out), new PrintWriter(err), args);
    assertEquals(0, code, "chaos " + String.join(" ", args) + ": " + err);
    return out.toString();
  }

  private static long started = System.nanoTime();

  /** Prints how long the test's steps take, for the suite's time (docs/rig.md). */
  private static void step(String what) {
    long now = System.nanoTime();
    System.out.printf("package test: %s (%.1f s)%n", what, (now - started) / 1e9);
    started = now;
  }

  private static List<Path> present(List<Path> paths) {
    return paths.stream().filter(Files::exists).toList();
  }

  private static Command.Result run(String... command) {
    return Command.run(LIMIT, command).orThrow();
  }
}
