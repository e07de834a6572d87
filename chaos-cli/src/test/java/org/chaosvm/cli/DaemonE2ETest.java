package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.chaosvm.rig.Xl;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * chaos's main job on real Xen: chaos-daemon runs as its own process with a pool of one 256x1
 * shell; the chaos command (in-process, over the real socket) creates, lists, shuts down and
 * destroys guests. Ends by stopping the daemon and checking only Domain-0 is left.
 */
@Tag("xen")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(2) // after the other classes of the shared daemon: its soak ends with the daemon stopped
class DaemonE2ETest extends DaemonTestBase {
  @Test
  @Order(1)
  void createdGuestRunsIsListedByBothToolsAndShutdownWaitReapsIt() throws Exception {
    ConsoleLog console = ConsoleLog.of("e2e-web").sinceNow();

    DaemonProcess.Run created = chaos("create", config("e2e-web", TestGuest.Mode.WAIT).toString());

    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("created e2e-web"), created.out());
    assertTrue(created.out().contains("from the pool"), created.out());
    assertTrue(console.awaitLineContaining(TestGuest.GREETING, LIMIT).endsWith("(mode wait)"));
    assertTrue(chaos("list").out().contains("e2e-web"));
    assertTrue(Xl.domainNames().contains("e2e-web"));

    DaemonProcess.Run shutdown = chaos("shutdown", "-w", "e2e-web");

    assertEquals(0, shutdown.code(), shutdown.err());
    assertTrue(console.awaitLineContaining("powering off", LIMIT).contains("powering off"));
    Xl.awaitGone("e2e-web", LIMIT); // on_poweroff = destroy, applied by the daemon
    assertFalse(chaos("list").out().contains("e2e-web"));
  }

  @Test
  @Order(2)
  void destroyEndsARunningGuestAndThePoolRefills() throws Exception {
    DaemonProcess.Run created = chaos("create", idleGuest("e2e-db").toString());
    assertEquals(0, created.code(), created.err());

    DaemonProcess.Run destroyed = chaos("destroy", "e2e-db");

    assertEquals(0, destroyed.code(), destroyed.err());
    Xl.awaitGone("e2e-db", LIMIT);
    daemon.awaitPool("256x1", 1);
  }

  @Test
  @Order(3)
  void createWithNoFittingShellBuildsOne() throws Exception {
    Path config = idleGuest("e2e-big", "memory = 320");

    DaemonProcess.Run created = chaos("create", config.toString());

    assertEquals(0, created.code(), created.err());
    assertTrue(created.out().contains("from a new shell"), created.out());
    assertEquals(0, chaos("destroy", "e2e-big").code());
    Xl.awaitGone("e2e-big", LIMIT);
  }

  @Test
  @Order(4)
  void badInputsGetTheirMessageAndExitCode() throws Exception {
    DaemonProcess.Run missing = chaos("create", dir.resolve("nope.cfg").toString());
    assertEquals(ExitCodes.CONFIG, missing.code());
    assertTrue(missing.err().contains("no such file"), missing.err());

    assertConfigRefused(
        "bad.cfg",
        "name = \"x\"\nkernel = \"/k\"\npci = [ \"01:00.0\" ]\n",
        "bad.cfg:3:1: unknown or unsupported key 'pci'");
    assertConfigRefused(
        "syntax.cfg", "name = \nkernel = \"/k\"\n", "syntax.cfg:1:8: expected a value");
    assertConfigRefused(
        "hvm.cfg", "name = \"x\"\ntype = \"hvm\"\nkernel = \"/k\"\n", "hvm.cfg:2:", "\"hvm\"");

    DaemonProcess.Run unknown = chaos("destroy", "no-such-guest");
    assertEquals(ExitCodes.NOT_FOUND, unknown.code());
    assertTrue(unknown.err().contains("no chaos guest named no-such-guest"), unknown.err());

    Path huge = idleGuest("e2e-huge", "memory = 65536");
    DaemonProcess.Run tooBig = chaos("create", huge.toString());
    assertEquals(ExitCodes.NO_CAPACITY, tooBig.code(), tooBig.err());

    assertEquals(0, chaos("create", idleGuest("e2e-twice").toString()).code());
    DaemonProcess.Run twice = chaos("create", idleGuest("e2e-twice").toString());
    assertEquals(ExitCodes.EXISTS, twice.code(), twice.err());
    assertEquals(0, chaos("destroy", "e2e-twice").code());

    DaemonProcess.Run down = new DaemonProcess(dir.resolve("nowhere")).chaos("list");
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, down.code());
    assertTrue(down.err().contains("is it running?"), down.err());

    DaemonProcess.awaitOnly(List.of("Domain-0"));
  }

  /**
   * {@code chaos create} of a config file {@code name} holding {@code text} is refused as a config
   * error (exit 3), its message holding each of {@code expected}.
   */
  private static void assertConfigRefused(String name, String text, String... expected)
      throws IOException {
    DaemonProcess.Run run = chaos("create", Files.writeString(dir.resolve(name), text).toString());
    assertEquals(ExitCodes.CONFIG, run.code(), run.err());
    for (String part : expected) {
      assertTrue(run.err().contains(part), run.err());
    }
  }

  @Test
  @Order(8)
  void theSocketRefusesUsersOutsideTheDaemonsGroup() throws Exception {
    // (a member is served: aMemberUsesItsOwnGuestsAndFilesOnlyAndRootAnything)
    List<String> outsider =
        new ArrayList<>(List.of("setpriv", "--reuid=60001", "--regid=60001", "--clear-groups"));
    outsider.addAll(daemon.chaosCommand("list"));
    Command.Result out = Command.run(LIMIT, outsider.toArray(String[]::new));
    assertEquals(ExitCodes.PERMISSION_DENIED, out.exitCode(), out.output());
    assertTrue(out.output().contains("permission denied on " + daemon.socket), out.output());
  }

  /** The group's gid in Dom0. */
  private static String gid() {
    return Command.run(LIMIT, "getent", "group", GROUP).orThrow().output().split(":")[2].trim();
  }

  /** One command's result in a batch: its exit code and its output (standard out and error). */
  private record Result(int code, String output) {}

  /**
   * Commands of a member of the socket's group (uid 60001, no passwd entry), in a process of its
   * own (the daemon knows it through SO_PEERCRED), one JVM for them all.
   */
  private static List<Result> asMember(List<List<String>> commands) throws Exception {
    List<String> argv =
        new ArrayList<>(List.of("setpriv", "--reuid=60001", "--regid=60001", "--groups=" + gid()));
    argv.addAll(DaemonProcess.java(ChaosBatch.class.getName()));
    Process member = new ProcessBuilder(argv).redirectErrorStream(true).start();
    try (var in = member.getOutputStream()) {
      for (List<String> command : commands) {
        List<String> words = new ArrayList<>(command);
        words.add("--socket=" + daemon.socket);
        in.write((String.join("\t", words) + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    String output = new String(member.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(member.waitFor(5, TimeUnit.MINUTES), "the member's commands did not end");
    List<Result> results = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (String line : output.split("\n")) {
      if (line.startsWith(ChaosBatch.END)) {
        results.add(
            new Result(Integer.parseInt(line.substring(ChaosBatch.END.length())), text.toString()));
        text.setLength(0);
      } else {
        text.append(line).append('\n');
      }
    }
    assertEquals(commands.size(), results.size(), output);
    return results;
  }

  private static void assertDenied(Result result, String expected) {
    assertEquals(ExitCodes.PERMISSION_DENIED, result.code(), result.output());
    assertTrue(result.output().contains(expected), result.output());
  }

  /** A block device of Dom0's: its first disk, or a loop device made for the test. */
  private static String dom0BlockDevice() throws Exception {
    String disks = Command.run(LIMIT, "lsblk", "-dnpo", "NAME,TYPE").orThrow().output();
    for (String line : disks.lines().toList()) {
      String[] words = line.trim().split("\\s+");
      if (words.length == 2 && words[1].equals("disk")) {
        return words[0];
      }
    }
    Path backing = dir.resolve("dom0-disk.img");
    try (var file = new java.io.RandomAccessFile(backing.toFile(), "rw")) {
      file.setLength(1 << 20);
    }
    return Command.run(LIMIT, "losetup", "-f", "--show", backing.toString())
        .orThrow()
        .output()
        .strip();
  }

  @Test
  @Order(9)
  void aMemberUsesItsOwnGuestsAndFilesOnlyAndRootAnything() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertEquals(0, chaos("create", idleGuest("e2e-roots").toString()).code());
    Path memberConfig = idleGuest("e2e-members");
    Path secret = dir.resolve("secret-kernel");
    Files.copy(Unikernel.image(), secret);
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    String secretText =
        Files.readString(idleGuest("e2e-secret"))
            .replace(Unikernel.image().toString(), secret.toString());
    assertTrue(secretText.contains(secret.toString()), secretText);
    Path secretConfig = Files.writeString(dir.resolve("e2e-secret.cfg"), secretText);
    String disk = dom0BlockDevice();

    // The member: its own guest, made from files it can read, seen by it alone; nothing else.
    List<Result> member =
        asMember(
            List.of(
                List.of("create", memberConfig.toString()),
                List.of("list"),
                List.of("destroy", "e2e-roots"),
                List.of("create", secretConfig.toString()),
                List.of("block-attach", "e2e-members", "phy:" + disk + ",xvdb,r"),
                List.of("pool", "4x1=100000"),
                List.of("network-attach", "e2e-members", "bridge=xenbr0")));
    assertEquals(0, member.get(0).code(), member.get(0).output());
    String listed = member.get(1).output();
    assertTrue(listed.contains("e2e-members"), listed);
    assertFalse(listed.contains("e2e-roots"), listed);
    assertFalse(listed.contains("Domain-0"), listed);
    assertDenied(member.get(2), "may not destroy e2e-roots: it is root's guest");
    assertDenied(member.get(3), "may not read " + secret + " (the kernel): permission denied");
    assertDenied(member.get(4), "may not read " + disk + " (the disk xvdb)");
    assertDenied(member.get(5), "members may have at most 8");
    assertDenied(member.get(6), "may not connect e2e-members to bridge xenbr0");

    // Root: all of it, the member's guest included.
    DaemonProcess.Run rootsSecret = chaos("create", secretConfig.toString());
    assertEquals(0, rootsSecret.code(), rootsSecret.err());
    DaemonProcess.Run attached = chaos("block-attach", "e2e-roots", "phy:" + disk + ",xvdb,r");
    assertEquals(0, attached.code(), attached.err());
    assertEquals(0, chaos("block-detach", "e2e-roots", "xvdb", "--force").code());
    DaemonProcess.Run network = chaos("network-attach", "e2e-members", "bridge=xenbr0");
    assertEquals(0, network.code(), network.err());
    assertEquals(0, chaos("pool", "4x1=9").code());
    assertEquals(0, chaos("pool", "4x1=0").code());
    for (String guest : List.of("e2e-members", "e2e-roots", "e2e-secret")) {
      DaemonProcess.Run destroyed = chaos("destroy", guest);
      assertEquals(0, destroyed.code(), guest + ": " + destroyed.err());
    }
    if (disk.startsWith("/dev/loop")) {
      Command.run(LIMIT, "losetup", "-d", disk);
    }
    DaemonProcess.awaitOnly(List.of("Domain-0"));
  }

  /**
   * 2000 idle connections of one member: the daemon serves 16 of them at once (its limit per user),
   * answers the rest BUSY, keeps serving root, and is back near where it started once they close.
   * Threads, descriptors and RSS printed.
   */
  /**
   * A member's save and restore: the daemon writes and reads the member's own image file with the
   * member's rights (the file stays the member's); a folder the member may not write gets no image.
   */
  @Test
  @Order(9)
  void aMemberSavesAndRestoresItsGuestInAFileOfItsOwn() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    String name = "e2e-member-count";
    Path config = Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT);
    Path own = Files.createDirectories(dir.resolve("member-images"));
    Command.run(LIMIT, "chown", "60001:60001", own.toString()).orThrow();
    Path image = own.resolve("count.img");
    Path roots = dir.resolve("count.img"); // in root's folder

    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Result created = asMember(List.of(List.of("create", config.toString()))).get(0);
    assertEquals(0, created.code(), created.output());
    console.awaitLineContaining(Unikernel.COUNT + "2", LIMIT); // it serves a suspend by now
    List<Result> member =
        asMember(
            List.of(
                List.of("save", name, roots.toString()),
                List.of("save", name, image.toString()),
                List.of("restore", image.toString()),
                List.of("destroy", name)));

    assertEquals(ExitCodes.PERMISSION_DENIED, member.get(0).code(), member.get(0).output());
    assertTrue(member.get(0).output().contains("cannot write " + roots), member.get(0).output());
    assertFalse(Files.exists(roots));
    assertEquals(0, member.get(1).code(), member.get(1).output());
    assertEquals(0, member.get(2).code(), member.get(2).output());
    assertTrue(member.get(2).output().contains("created " + name), member.get(2).output());
    assertEquals(0, member.get(3).code(), member.get(3).output());
    assertEquals(60001, Files.getAttribute(image, "unix:uid"));
    // chaos's own save writes the guest's pages of data, its zeros as pfns alone
    assertTrue(Files.size(image) > 8 * 4096, "the image holds the guest's pages of data");
    DaemonProcess.awaitOnly(List.of("Domain-0"));
  }

  @Test
  @Order(10)
  void twoThousandIdleConnectionsOfOneMemberLeaveTheOthersServed() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertEquals(0, chaos("list").code());
    Thread.sleep(KEEPALIVE_SECONDS * 2000L); // the list's worker has ended
    DaemonProcess.Status before = daemon.status();
    List<String> argv =
        new ArrayList<>(List.of("setpriv", "--reuid=60001", "--regid=60001", "--groups=" + gid()));
    argv.addAll(DaemonProcess.java(ConnectionFlood.class.getName()));
    argv.addAll(List.of(daemon.socket.toString(), "2000"));
    Process flood = new ProcessBuilder(argv).redirectErrorStream(true).start();
    try {
      BufferedReader floodOut =
          new BufferedReader(new InputStreamReader(flood.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("opened 2000", floodOut.readLine());
      Thread.sleep(1000); // the acceptor has seen them all
      DaemonProcess.Status during = daemon.status();
      for (int i = 0; i < 3; i++) {
        DaemonProcess.Run list = chaos("list"); // root is served all the while
        assertEquals(0, list.code(), list.err());
      }
      flood.getOutputStream().close(); // the flood lets go
      assertTrue(flood.waitFor(60, TimeUnit.SECONDS), "the flood did not end");
      Thread.sleep(KEEPALIVE_SECONDS * 3000L); // its workers end
      DaemonProcess.Status after = daemon.status();
      System.out.printf(
          "2000 idle connections of a member: threads %d before, %d during, %d after;"
              + " descriptors %d, %d, %d; RSS %d, %d, %d KiB%n",
          before.threads(),
          during.threads(),
          after.threads(),
          before.fds(),
          during.fds(),
          after.fds(),
          before.rssKib(),
          during.rssKib(),
          after.rssKib());
      assertTrue(
          during.threads() <= before.threads() + Protocol.MAX_CONNECTIONS_PER_USER + 2,
          during.threads() + " threads during the flood, " + before.threads() + " before");
      assertTrue(during.rssKib() - before.rssKib() < 64 * 1024, "RSS grew by over 64 MiB");
      assertTrue(after.threads() <= before.threads() + 1, after.threads() + " threads after");
      assertTrue(after.fds() <= before.fds(), after.fds() + " descriptors after, " + before.fds());
    } finally {
      flood.destroyForcibly();
    }
  }

  /** The descriptor rounds of {@link DaemonFdE2ETest}, on this class's daemon. */
  @Test
  @Order(7)
  void twoHundredConnectionsWithIdleGapsLeaveNoDescriptorBehind() throws Exception {
    DaemonFdE2ETest.connectionsLeaveNoDescriptorBehind(daemon, KEEPALIVE_SECONDS, 4, 50);
  }

  /**
   * The soak of {@link DaemonSoakE2ETest}, 45 s with one kill, on this class's daemon (last: it
   * kills it, and leaves the last one stopped).
   */
  @Test
  @Order(11)
  void soakWithKillsLeavesNothingBehind() throws Exception {
    DaemonSoak soak = new DaemonSoak(dir, daemon, DaemonTestBase::newDaemon);
    daemon = soak.run(Duration.ofSeconds(45), Duration.ofSeconds(20));
  }
}
