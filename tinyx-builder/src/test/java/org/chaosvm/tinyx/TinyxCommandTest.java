package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command's refusals, before anything is fetched or built: what reaches apt is a package name,
 * and nothing breaks a line of vm.cfg.
 */
class TinyxCommandTest {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private Run tinyx(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tinyx.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(code, out.toString(), err.toString());
  }

  private void refused(String expected, String... args) {
    Run run = tinyx(args);
    assertEquals(2, run.code(), run.err());
    assertTrue(run.err().contains(expected), run.err());
    assertFalse(run.out().contains("apt"), run.out()); // refused before any step
  }

  @Test
  void aPackageThatWouldBeAnOptionForAptIsRefused() {
    Path out = dir.resolve("vm");
    refused(
        "--package -s is not a Debian package name",
        "redis-server",
        "--out",
        out.toString(),
        "--package=-s");
    refused(
        "APP --version is not a Debian package name",
        "--out",
        out.toString(),
        "--name",
        "v",
        "--",
        "--version");
    refused(
        "--exclude Evil is not a Debian package name",
        "redis-server",
        "--out",
        out.toString(),
        "--exclude=Evil");
    refused(
        "--kernel-package -s is not a Debian package name",
        "redis-server",
        "--out",
        out.toString(),
        "--kernel-package=-s");
    assertTrue(Files.notExists(out));
  }

  @Test
  void kernelOptionsThatDoNotFitTheKernelAreRefused() {
    Path out = dir.resolve("vm");
    refused(
        "--kernel tiny is not small or debian",
        "redis-server",
        "-o",
        out.toString(),
        "--kernel",
        "tiny");
    refused(
        "--module needs --kernel debian: the small kernel has no modules",
        "redis-server",
        "-o",
        out.toString(),
        "--module",
        "xen-blkfront");
    refused(
        "--kernel-package needs --kernel debian",
        "redis-server",
        "-o",
        out.toString(),
        "--kernel-package",
        "linux-image-6.1.0-9-amd64");
    refused(
        "--kernel-config is for the small kernel",
        "redis-server",
        "-o",
        out.toString(),
        "--kernel",
        "debian",
        "--kernel-config",
        "CONFIG_AIO=y");
    refused(
        "--kernel-config CONFIG_AIO is not CONFIG_NAME=VALUE",
        "redis-server",
        "-o",
        out.toString(),
        "--kernel-config",
        "CONFIG_AIO");
    refused(
        "--kernel-config CONFIG_X=$(reboot) is not CONFIG_NAME=VALUE",
        "redis-server",
        "-o",
        out.toString(),
        "--kernel-config",
        "CONFIG_X=$(reboot)");
    assertTrue(Files.notExists(out));
  }

  @Test
  void anAppPathWithALineBreakIsRefused() {
    Path out = dir.resolve("vm");
    refused(
        "has a control character",
        "/usr/bin/app\nkernel = \"/boot/vmlinuz\"",
        "--name",
        "app",
        "--out",
        out.toString());
    assertTrue(Files.notExists(out));
  }
}
