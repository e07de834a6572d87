package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.chaosvm.daemon.config.XlConfigReader;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Probes;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The tinyx VMs that {@code xen-rig/rig test} builds on the host (xen-rig/lib/tinyx.sh), each
 * booted from its own vm.cfg, unchanged, by {@code xl create} and by {@code chaos create}: lighttpd
 * answers HTTP and redis answers PING from Dom0 over the bridge; the Python script prints and the
 * VM powers off when it exits, its modules' byte code read from the image. Each VM has tinyx's
 * small kernel (built for it from tinyconfig, no modules) and its squashfs root with the init's
 * overlay on it, as its report and its console say; the redis VM has at most 32 MiB. The times
 * printed are from the create command's return to the first answer.
 */
@Tag("xen")
@Order(1) // with the other classes of the shared daemon, one after another
class TinyxE2ETest extends DaemonTestBase {
  private static final String LIGHTTPD_URL = "http://10.0.0.11/";
  private static final String REDIS_ADDRESS = "10.0.0.12";
  private static final String PAGE = "Hello from lighttpd in a tinyx VM.";
  private static final String PYTHON_LINE =
      "tinyx python: 2**100 = 1267650600228229401496703205376";

  private static Path vmConfig(String name) {
    Path cfg = Path.of("target/tinyx", name, "vm.cfg");
    assertTrue(
        Files.exists(cfg), cfg + " is missing: xen-rig/rig test and e2e build it with tinyx first");
    try {
      String report = Files.readString(cfg.resolveSibling("report.txt"));
      assertTrue(report.contains("(small: Linux "), "not tinyx's small kernel:\n" + report);
      assertTrue(report.contains("modules loaded at boot: none"), report);
      assertTrue(report.contains("root image: rootfs.squashfs "), report);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return cfg;
  }

  /** Creates the VM with xl or chaos and returns the time the create returned. */
  private static long create(String tool, String name) {
    Path cfg = vmConfig(name);
    if (tool.equals("xl")) {
      Xl.create(cfg);
    } else {
      DaemonProcess.Run created = chaos("create", cfg.toString());
      assertEquals(0, created.code(), created.err());
    }
    return System.nanoTime();
  }

  private static void report(String tool, String name, String what, long since) {
    System.out.printf(
        "tinyx %s under %s: %s %.1f s after the create returned%n",
        name, tool, what, (System.nanoTime() - since) / 1e9);
  }

  private static void destroy(String tool, String name) {
    if (tool.equals("xl")) {
      Xl.destroy(name);
    } else {
      assertEquals(0, chaos("destroy", name).code());
    }
    Xl.awaitGone(name, LIMIT);
  }

  private void lighttpdAnswersHttp(String tool) throws Exception {
    ConsoleLog console = ConsoleLog.of("lighttpd").sinceNow();
    long created = create(tool, "lighttpd");
    HttpResponse<String> response = Probes.awaitHttp(LIGHTTPD_URL, LIMIT);
    report(tool, "lighttpd", "HTTP " + response.statusCode(), created);
    assertEquals(200, response.statusCode(), response.body());
    String body = response.body();
    assertTrue(body.contains(PAGE), body);
    console.awaitLineContaining("tinyx: starting 'lighttpd'", LIMIT);
    destroy(tool, "lighttpd");
  }

  private void redisAnswersPing(String tool) throws Exception {
    Path cfg = vmConfig("redis");
    int memory = XlConfigReader.read(cfg, Files.readString(cfg)).memoryMib();
    assertTrue(memory <= 32, "the redis VM has " + memory + " MiB");
    ConsoleLog console = ConsoleLog.of("redis").sinceNow();
    long created = create(tool, "redis");
    assertEquals("+PONG", Probes.awaitRedisPing(REDIS_ADDRESS, LIMIT));
    report(tool, "redis", "+PONG", created);
    console.awaitLineContaining("tinyx: starting 'redis-server'", LIMIT);
    assertTrue(
        console.lines().stream().noneMatch(l -> l.contains("no overlay")),
        String.join("\n", console.lines()));
  }

  private void pythonRunsAndPowersOff(String tool) {
    ConsoleLog console = ConsoleLog.of("python").sinceNow();
    long created = create(tool, "python");
    console.awaitLineContaining(PYTHON_LINE, LIMIT);
    report(tool, "python", "its last line", created);
    // its imports read the byte code tinyx compiled into the image, not their sources
    assertTrue(
        console.lines().stream()
            .anyMatch(l -> l.contains("tinyx python: modules from the image's byte code: True")),
        String.join("\n", console.lines()));
    console.awaitLineContaining("the application exited with status 0; powering off", LIMIT);
    Xl.awaitGone("python", LIMIT); // on_poweroff = destroy
  }

  @AfterEach
  void destroyWhatAFailedTestLeft() {
    for (String name : new String[] {"lighttpd", "redis", "python"}) {
      Xl.destroyIfPresent(name);
    }
  }

  @Test
  void lighttpdAnswersHttpUnderXl() throws Exception {
    lighttpdAnswersHttp("xl");
  }

  @Test
  void lighttpdAnswersHttpUnderChaos() throws Exception {
    lighttpdAnswersHttp("chaos");
  }

  @Test
  void redisAnswersPingUnderXlAndShutsDownCleanly() throws Exception {
    redisAnswersPing("xl");
    ConsoleLog console = ConsoleLog.of("redis").sinceNow();
    Xl.shutdown("redis");
    console.awaitLineContaining("tinyx: shutdown requested", LIMIT);
    Xl.awaitGone("redis", LIMIT);
  }

  @Test
  void redisAnswersPingUnderChaosAndShutsDownCleanly() throws Exception {
    redisAnswersPing("chaos");
    ConsoleLog console = ConsoleLog.of("redis").sinceNow();
    DaemonProcess.Run shutdown = chaos("shutdown", "-w", "redis");
    assertEquals(0, shutdown.code(), shutdown.err());
    console.awaitLineContaining("tinyx: shutdown requested", LIMIT);
    Xl.awaitGone("redis", LIMIT);
  }

  @Test
  void pythonScriptRunsAndItsVmPowersOffUnderXl() {
    pythonRunsAndPowersOff("xl");
  }

  @Test
  void pythonScriptRunsAndItsVmPowersOffUnderChaos() {
    pythonRunsAndPowersOff("chaos");
  }

  /**
   * The small kernel's RAM disk takes the root image's pages where Xen put them, with no copy
   * (kernel-patches/tinyx 0007): the Python VM, booted with the kernel's messages on its console
   * (its vm.cfg with {@code loglevel=7} for {@code quiet}), says so and does not load the RAM disk
   * the old way; the script runs.
   */
  @Test
  void theSmallKernelsRamDiskTakesTheImageInPlace() throws Exception {
    String cfg = Files.readString(vmConfig("python"));
    assertTrue(cfg.contains(" quiet "), cfg);
    Path loud = Files.createTempFile("tinyx-python-", ".cfg");
    try {
      Files.writeString(loud, cfg.replace(" quiet ", " loglevel=7 "));
      ConsoleLog console = ConsoleLog.of("python").sinceNow();
      Xl.create(loud);
      console.awaitLineContaining("KiB are /dev/ram0, in place", LIMIT);
      console.awaitLineContaining(PYTHON_LINE, LIMIT);
      Xl.awaitGone("python", LIMIT);
      assertTrue(
          console.lines().stream().noneMatch(l -> l.contains("RAMDISK: Loading")),
          String.join("\n", console.lines()));
    } finally {
      Files.deleteIfExists(loud);
    }
  }
}
