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
