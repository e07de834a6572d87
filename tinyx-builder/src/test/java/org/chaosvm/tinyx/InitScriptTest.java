package org.chaosvm.tinyx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitScriptTest {
  @TempDir Path dir;

  private static InitScript script() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GREETING", "it's \"quoted\" $HOME");
    env.put("A_PORT", "6379");
    return new InitScript(
        "redis",
        List.of("redis-server", "--save", "", "--dir", "/var/lib/redis's"),
        env,
        "/var/lib",
        List.of("/usr/lib/modules/6.1.0-56-amd64/kernel/drivers/net/xen-netfront.ko"),
        "echo root set up\n",
        "echo after mounts\n");
  }

  @Test
  void quotesEveryWordSoTheShellPassesItUnchanged() {
    assertEquals("'it'\\''s'", InitScript.quote("it's"));
    assertEquals("''", InitScript.quote(""));
    assertEquals(
        "'redis-server' '--save' '' '--dir' '/var/lib/redis'\\''s'", script().commandLine());
  }

  @Test
  void setsUpTheRootLoadsModulesConfiguresTheNetworkRunsTheCommandAndPowersOff() {
    String init = script().render();
    assertTrue(init.startsWith("#!/bin/busybox sh\n"));
    List<String> inOrder =
        List.of(
            "echo root set up\n",
            "exec </dev/console >/dev/console 2>&1",
            "echo after mounts\n",
            "echo 'redis' >/proc/sys/kernel/hostname",
            "insmod '/usr/lib/modules/6.1.0-56-amd64/kernel/drivers/net/xen-netfront.ko'",
            "echo 1 >/proc/sys/net/ipv4/conf/all/arp_notify",
            "case \"$arg\" in ip=*) netconf \"${arg#ip=}\" ;; esac",
            "export A_PORT='6379'",
            "export GREETING='it'\\''s \"quoted\" $HOME'",
            "cd '/var/lib' || exit 1",
            "trap 'say \"shutdown requested\"; kill -TERM \"$app\" 2>/dev/null' USR1 USR2 TERM",
            "'redis-server' '--save' '' '--dir' '/var/lib/redis'\\''s' </dev/null &",
            "say \"the application exited with status $status; powering off\"",
            "poweroff -f");
    int at = 0;
    for (String line : inOrder) {
      int next = init.indexOf(line, at);
      assertTrue(next >= 0, "missing or out of order: " + line + "\n" + init);
      at = next + line.length();
    }
  }

  @Test
  void theScriptIsValidShell() throws Exception {
    Path file = Files.writeString(dir.resolve("init"), script().render());
    Process sh =
        new ProcessBuilder("/bin/busybox", "sh", "-n", file.toString())
            .redirectErrorStream(true)
            .start();
    assertTrue(sh.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, sh.exitValue(), new String(sh.getInputStream().readAllBytes()));
  }

  /**
   * Runs the init's netconf on an ip= value with ifconfig and ip stubbed to echo and the host name
   * written to a file, then its wait for the links of the devices it configured, each link up.
   */
  private String netconf(String value) throws IOException, InterruptedException {
    Files.writeString(dir.resolve("carrier"), "1\n");
    String init = script().render();
    String function = init.substring(init.indexOf("await()"), init.indexOf("for arg in"));
    String test =
        "say() { echo \"tinyx: $*\"; }\n"
            + "ifconfig() { echo \"ifconfig $*\"; }\n"
            + "ip() { echo \"ip $*\"; }\n"
            + function
                .replace("/sys/class/net/$1", dir.toString())
                .replace("/etc/resolv.conf", dir.resolve("resolv.conf").toString())
                .replace("/proc/sys/kernel/hostname", dir.resolve("hostname").toString())
            + "netconf '"
            + value
            + "'\n"
            + "for dev in $links; do await 10 has_link \"$dev\" && echo \"link $dev\"; done\n";
    Path file = Files.writeString(dir.resolve("netconf"), test);
    Process sh =
        new ProcessBuilder("/bin/busybox", "sh", file.toString()).redirectErrorStream(true).start();
    assertTrue(sh.waitFor(20, TimeUnit.SECONDS));
    return new String(sh.getInputStream().readAllBytes());
  }

  @Test
  void netconfReadsTheKernelsIpSyntax() throws Exception {
    String out = netconf("10.0.0.12/24::10.0.0.1::redis:eth0:off:9.9.9.9");
    assertEquals("redis\n", Files.readString(dir.resolve("hostname")));
    assertTrue(out.contains("ip addr add 10.0.0.12/24 dev eth0"), out);
    assertTrue(out.contains("ip route add default via 10.0.0.1 dev eth0"), out);
    assertTrue(out.contains("tinyx: eth0: 10.0.0.12/24\nlink eth0\n"), out);
    assertEquals("nameserver 9.9.9.9\n", Files.readString(dir.resolve("resolv.conf")));

    out = netconf("192.168.1.5::192.168.1.1:255.255.0.0::eth1:none");
    assertTrue(out.contains("ifconfig eth1 192.168.1.5 netmask 255.255.0.0"), out);
    assertTrue(out.contains("tinyx: eth1: 192.168.1.5 netmask 255.255.0.0\n"), out);
  }

  /** The init's wait gives up after its limit in seconds of uptime, however long a turn takes. */
  @Test
  void aWaitEndsAtItsLimitOfUptime() throws Exception {
    String init = script().render();
    String await = init.substring(init.indexOf("await()"), init.indexOf("# A network device:"));
    Path file =
        Files.writeString(
            dir.resolve("await"),
            await
                + "slow() { sleep 0.3; false; }\n"
                + "await 1 true && echo held\n"
                + "await 1 slow || echo gave up\n");
    long start = System.nanoTime();
    Process sh =
        new ProcessBuilder("/bin/busybox", "sh", file.toString()).redirectErrorStream(true).start();
    assertTrue(sh.waitFor(20, TimeUnit.SECONDS));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals("held\ngave up\n", new String(sh.getInputStream().readAllBytes()));
    assertTrue(ms < 5_000, ms + " ms");
  }

  @Test
  void theStartLineHasTheUptimeAndTheMemoryReadWithoutAProcess() throws Exception {
    String init = script().render();
    String lines = init.substring(init.indexOf("read -r uptime"), init.indexOf("trap "));
    Path file = Files.writeString(dir.resolve("start"), "say() { echo \"tinyx: $*\"; }\n" + lines);
    Process sh =
        new ProcessBuilder("/bin/busybox", "sh", file.toString()).redirectErrorStream(true).start();
    assertTrue(sh.waitFor(20, TimeUnit.SECONDS));
    String out = new String(sh.getInputStream().readAllBytes());
    assertTrue(
        out.matches(
            "(?s)tinyx: starting 'redis-server' .* \\(uptime [0-9.]+ s\\)"
                + " \\(MemTotal: [0-9]+ MiB, MemAvailable: [0-9]+ MiB\\)\n"),
        out);
    assertFalse(
        java.util.regex.Pattern.compile("\\$\\((?!\\()").matcher(lines).find(),
        "a command substitution forks: " + lines);
  }

  @Test
  void refusesAnEmptyCommandAndBadVariableNames() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new InitScript("x", List.of(), Map.of(), "/", List.of(), "", ""));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new InitScript(
                    "x", List.of("sh"), Map.of("BAD-NAME", "1"), "/", List.of(), "", ""));
    assertTrue(e.getMessage().contains("BAD-NAME"));
  }
}
