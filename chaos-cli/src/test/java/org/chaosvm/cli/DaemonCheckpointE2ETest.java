package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.ShutdownReason;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.ImageFrames;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.chaosvm.rig.Command;
import org.chaosvm.rig.ConsoleLog;
import org.chaosvm.rig.Dom0Devices;
import org.chaosvm.rig.PtySession;
import org.chaosvm.rig.TestGuest;
import org.chaosvm.rig.Unikernel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chaos save} and {@code chaos restore} under chaos-daemon (docs/checkpoints.md): the
 * unikernel's count mode, a XenStore guest and a noxs guest, saved and restored from the pool,
 * counting on where it left off; saved with {@code -c} and going on, its copy restored under
 * another name; bad images and requests refused clearly, leaving nothing.
 */
@Tag("xen")
class DaemonCheckpointE2ETest {
  private static final boolean PATCHED = NoxsDaemonCycle.PATCHED;
  private static final String XENSTORE_SHELLS = "1x1";
  private static final String NOXS_SHELLS = NoxsDaemonCycle.NOXS_SHELLS;
  private static final String LINUX_SHELLS = TestGuest.MEMORY_MIB + "x1";

  @TempDir static Path dir;
  private static DaemonProcess daemon;
  private static Path logs;

  @BeforeAll
  static void start() throws Exception {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    logs = dir.resolve("log");
    List<String> pool = new ArrayList<>(List.of(XENSTORE_SHELLS + "=1", LINUX_SHELLS + "=1"));
    if (PATCHED) {
      pool.add(NOXS_SHELLS + "=1");
    }
    poolTargets = pool.toArray(String[]::new);
    daemon = newDaemon();
  }

  private static String[] poolTargets;

  /**
   * The daemon's idle limit, shorter than its default (60 s) so that a restore whose image stops
   * coming fails sooner; still far above any pause of a save or a migration here.
   */
  private static final int IDLE_SECONDS = 20;

  private static DaemonProcess newDaemon() throws Exception {
    return new DaemonProcess(dir)
        .option("--state-dir", dir.resolve("state").toString(), "--log-dir", logs.toString())
        .option("--idle-timeout", Integer.toString(IDLE_SECONDS))
        .start(poolTargets);
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      System.out.println("--- chaos-daemon's log ---\n" + daemon.stop());
      NoxsDaemonCycle.awaitDomains(Set.of(0));
    }
  }

  /** What a failed test left, destroyed: the next test starts from the pool alone. */
  @AfterEach
  void destroyLeftGuests() {
    daemon.destroyGuests();
  }

  @Test
  void aXenStoreCounterSavedAndRestoredFromThePoolCountsOn() throws Exception {
    String name = "ck-count";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Path config = Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT);
    savedAndRestoredCountsOn(name, config, console, XENSTORE_SHELLS);
  }

  @Test
  void aNoxsCounterSavedAndRestoredFromThePoolCountsOn() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock: no noxs");
    String name = "nx-count";
    Path config = NoxsDaemonCycle.noxsConfigIn(dir, name, Unikernel.Mode.COUNT);
    savedAndRestoredCountsOn(name, config, noxsConsole(name), NOXS_SHELLS);
  }

  /** A count guest of {@code config} created from a pooled shell and counting; its domid. */
  private static int counting(Path config, ConsoleLog console, String shells) throws Exception {
    daemon.awaitPool(shells, 1);
    DaemonProcess.Run created = chaos("create", config.toString());
    assertEquals(0, created.code(), created.err());
    console.awaitLineContaining(Unikernel.COUNT + "3", LIMIT);
    return DaemonTestBase.domidOf(created);
  }

  /** The count guest resumed in a new domain and counts on from {@code last}, never from 1. */
  private static void assertResumedCountingOn(ConsoleLog console, long last) throws Exception {
    console.awaitLineContaining(Unikernel.RESUMED, LIMIT);
    console.awaitLineContaining(Unikernel.COUNT + (last + 2), LIMIT);
    List<String> lines = console.lines();
    assertFalse(
        lines
            .subList(lines.indexOf(Unikernel.RESUMED), lines.size())
            .contains(Unikernel.COUNT + "1"),
        "it counted from 1 again: " + lines);
  }

  private void savedAndRestoredCountsOn(String name, Path config, ConsoleLog console, String shells)
      throws Exception {
    int domid = counting(config, console, shells);
    Path image = dir.resolve(name + ".img");

    DaemonProcess.Run saved = chaos("save", name, image.toString());

    assertEquals(0, saved.code(), saved.out() + saved.err());
    assertTrue(
        saved.out().contains("saved " + name + " (domain " + domid + " destroyed)"), saved.out());
    // chaos's own save: the guest's pages of data (a few dozen), its zeros as pfns alone
    long size = Files.size(image);
    assertTrue(
        size > 8 * 4096 && size < 512 * 1024,
        "the image holds the guest's pages of data, not the zeros of its 1 MiB: " + size);
    // libxenctrl's INFO and progress lines ("xc: info: Saving domain ...") stay out of its log
    assertFalse(daemon.logText().contains("xc: info:"), daemon.logText());
    long last = Unikernel.lastCount(console);
    NoxsDaemonCycle.awaitDomainsGone(Set.of(domid));
    daemon.awaitPool(shells, 1);

    DaemonProcess.Run restored = chaos("restore", image.toString());

    assertEquals(0, restored.code(), restored.out() + restored.err());
    assertTrue(restored.out().contains("created " + name), restored.out());
    assertTrue(restored.out().contains("from the pool"), restored.out());
    assertResumedCountingOn(console, last);
    int restoredDomid = DaemonTestBase.domidOf(restored);
    assertEquals(0, chaos("destroy", name).code());
    NoxsDaemonCycle.awaitDomainsGone(Set.of(restoredDomid));
  }

  @Test
  void aCounterSavedWithCheckpointGoesOnAndItsCopyRunsUnderAnotherName() throws Exception {
    String name = "ck-keep";
    String copy = "ck-copy";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    ConsoleLog copyConsole = ConsoleLog.of(copy).sinceNow();
    DaemonProcess.Run created =
        chaos("create", Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT).toString());
    assertEquals(0, created.code(), created.err());
    console.awaitLineContaining(Unikernel.COUNT + "2", LIMIT);
    Path image = dir.resolve(name + ".img");

    DaemonProcess.Run saved = chaos("save", "-c", name, image.toString());

    assertEquals(0, saved.code(), saved.out() + saved.err());
    assertTrue(saved.out().contains("saved " + name + "; it goes on"), saved.out());
    long last = Unikernel.lastCount(console);
    console.awaitLineContaining(Unikernel.SUSPEND_CANCELLED, LIMIT);
    console.awaitLineContaining(Unikernel.COUNT + (last + 2), LIMIT);

    DaemonProcess.Run exists = chaos("restore", image.toString());
    assertEquals(ExitCodes.EXISTS, exists.code(), exists.out() + exists.err());
    assertTrue(exists.err().contains(name), exists.err());

    DaemonProcess.Run restored = chaos("restore", "--name", copy, image.toString());
    assertEquals(0, restored.code(), restored.out() + restored.err());
    copyConsole.awaitLineContaining(Unikernel.RESUMED, LIMIT);
    copyConsole.awaitLineContaining(Unikernel.COUNT + (last + 2), LIMIT);
    assertTrue(chaos("list").out().contains(name + " "), "the original runs on");

    assertEquals(0, chaos("destroy", name).code());
    assertEquals(0, chaos("destroy", copy).code());
  }

  /**
   * The rig's Linux test guest with a vif and a disk: saved (Linux suspends through
   * control/shutdown) and restored from the pool, it answers ping again, its console answers a line
   * typed after the restore, and its disk holds what it wrote before the save.
   */
  @Test
  void aLinuxGuestWithAVifAndADiskSavedAndRestoredAnswersAndKeepsItsDisk() throws Exception {
    String name = "ck-linux";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Path disk = TestGuest.markerDisk(dir, name + "-disk", "hello from Dom0");
    Path config =
        linuxConfig(
            name,
            "rig.ip=10.0.0.44/24 rig.disk=xvdb",
            "vif = [ 'bridge=xenbr0' ]",
            "disk = [ '" + disk + ",raw,xvdb,rw' ]");
    daemon.awaitPool(LINUX_SHELLS, 1);
    DaemonProcess.Run created = chaos("create", config.toString());
    assertEquals(0, created.code(), created.err());
    int domid = DaemonTestBase.domidOf(created);
    console.awaitLineContaining("disk xvdb marker written", LIMIT);
    assertPings("10.0.0.44");
    Path image = dir.resolve(name + ".img");

    DaemonProcess.Run saved = chaos("save", name, image.toString());

    assertEquals(0, saved.code(), saved.out() + saved.err());
    NoxsDaemonCycle.awaitDomainsGone(Set.of(domid));
    daemon.awaitPool(LINUX_SHELLS, 1);
    DaemonProcess.Run restored = chaos("restore", image.toString());
    assertEquals(0, restored.code(), restored.out() + restored.err());
    assertTrue(restored.out().contains("from the pool"), restored.out());
    assertPings("10.0.0.44");
    typed(name, "after-restore");
    Files.delete(image);
    assertEquals(0, chaos("destroy", name).code());
    int restoredDomid = DaemonTestBase.domidOf(restored);
    NoxsDaemonCycle.awaitDomainsGone(Set.of(restoredDomid));
    String marker =
        Command.run(LIMIT, "debugfs", "-R", "cat /marker-out", disk.toString()).orThrow().output();
    assertTrue(marker.contains("written by the guest on xvdb"), marker);
    assertEquals(List.of(), Dom0Devices.remains(domid, disk), "devices of the saved domain");
    assertEquals(
        List.of(), Dom0Devices.remains(restoredDomid, disk), "devices of the restored one");
  }

  /** Saved with -c, the Linux guest goes on; its copy runs beside it under another name. */
  @Test
  void aLinuxGuestSavedWithCheckpointGoesOnBesideItsCopy() throws Exception {
    String name = "ck-linux-keep";
    String copy = "ck-linux-copy";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Path config = linuxConfig(name, "rig.ip=10.0.0.45/24", "vif = [ 'bridge=xenbr0' ]");
    DaemonProcess.Run created = chaos("create", config.toString());
    assertEquals(0, created.code(), created.err());
    console.awaitLineContaining("eth0 up", LIMIT);
    Path image = dir.resolve(name + ".img");

    DaemonProcess.Run saved = chaos("save", "-c", name, image.toString());

    assertEquals(0, saved.code(), saved.out() + saved.err());
    assertPings("10.0.0.45");
    typed(name, "still-here");
    DaemonProcess.Run restored = chaos("restore", "--name", copy, image.toString());
    assertEquals(0, restored.code(), restored.out() + restored.err());
    typed(copy, "the-copy");
    typed(name, "and-the-original");
    Files.delete(image);
    assertEquals(0, chaos("destroy", copy).code());
    assertEquals(0, chaos("destroy", name).code());
  }

  /**
   * chaos-daemon killed (SIGKILL) while it saves a Linux guest, the guest suspended: the command
   * says it lost the daemon and leaves no file; the restarted daemon adopts the guest, finds it
   * suspended with no save under way and resumes it: it answers ping and its console again.
   */
  @Test
  void aDaemonKilledInTheMiddleOfASaveLeavesTheGuestRunningOnceRestarted() throws Exception {
    String name = "ck-killed";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Path config = linuxConfig(name, "rig.ip=10.0.0.46/24", "vif = [ 'bridge=xenbr0' ]");
    DaemonProcess.Run created = chaos("create", config.toString());
    assertEquals(0, created.code(), created.err());
    int domid = DaemonTestBase.domidOf(created);
    console.awaitLineContaining("eth0 up", LIMIT);
    Path image = dir.resolve(name + ".img");
    DaemonProcess first = daemon;
    CompletableFuture<DaemonProcess.Run> saving =
        CompletableFuture.supplyAsync(() -> first.chaos("save", name, image.toString()));
    awaitSuspended(domid);

    daemon.kill(); // SIGKILL while the suspended guest's memory is being sent

    DaemonProcess.Run reply = saving.get(60, TimeUnit.SECONDS);
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, reply.code(), reply.out() + reply.err());
    assertFalse(Files.exists(image), "the image of a save cut short");
    try (var files = Files.list(dir)) {
      assertEquals(
          List.of(),
          files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("partial")).toList());
    }
    daemon = newDaemon();
    String log = daemon.logText();
    assertTrue(log.contains("adopted " + name), log);
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (!daemon.logText().contains(name + " (domain " + domid + ") was suspended")) {
      assertTrue(System.nanoTime() < deadline, daemon.logText());
      Thread.sleep(200);
    }
    assertPings("10.0.0.46");
    typed(name, "after-the-kill");
    assertEquals(0, chaos("destroy", name).code());
  }

  private static void awaitSuspended(int domid) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    try (XenCtrl xc = XenCtrl.open()) {
      while (!xc.domainInfo(DomId.of(domid))
          .flatMap(DomainInfo::shutdownReason)
          .equals(Optional.of(ShutdownReason.SUSPEND))) {
        assertTrue(System.nanoTime() < deadline, "domain " + domid + " never suspended");
        Thread.sleep(20);
      }
    }
  }

  /** The rig's Linux test guest in echo mode, with {@code arguments} and config {@code lines}. */
  private static Path linuxConfig(String name, String arguments, String... lines)
      throws java.io.IOException {
    return Files.writeString(
        dir.resolve(name + ".cfg"),
        TestGuest.xlConfig(name, TestGuest.Mode.ECHO, arguments, lines));
  }

  /** A line typed on the guest's console (chaos console) is answered: its console goes on. */
  private static void typed(String guest, String word) throws Exception {
    try (PtySession terminal = PtySession.start(daemon.chaosCommand("console", guest))) {
      terminal.typeUntil(word, "you said [" + word + "]", java.time.Duration.ofSeconds(3), LIMIT);
      terminal.type("\u001d");
      assertEquals(0, terminal.awaitExit(java.time.Duration.ofSeconds(30)), terminal.screen());
    }
  }

  private static void assertPings(String address) {
    Command.Result ping =
        Command.run(
            java.time.Duration.ofSeconds(90), "busybox", "ping", "-c", "3", "-W", "5", address);
    assertEquals(0, ping.exitCode(), "ping " + address + ": " + ping.output());
  }

  @Test
  void badImagesAndSavesFailClearlyAndLeaveNothing() throws Exception {
    daemon.awaitPool(XENSTORE_SHELLS, 1);
    Set<Integer> before = NoxsDaemonCycle.domids();

    Path text = Files.writeString(dir.resolve("not-an-image"), "just text\n".repeat(100));
    DaemonProcess.Run notAnImage = chaos("restore", text.toString());
    assertEquals(ExitCodes.USAGE, notAnImage.code(), notAnImage.out() + notAnImage.err());
    assertTrue(notAnImage.err().contains("is not a chaos image"), notAnImage.err());

    DaemonProcess.Run missing = chaos("restore", dir.resolve("no-such.img").toString());
    assertEquals(ExitCodes.USAGE, missing.code(), missing.err());
    assertTrue(missing.err().contains("no such file"), missing.err());

    // A real image cut short: its head is whole, its stream is not.
    String name = "ck-cut";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    DaemonProcess.Run created =
        chaos("create", Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT).toString());
    assertEquals(0, created.code(), created.err());
    console.awaitLineContaining(Unikernel.COUNT + "1", LIMIT);
    Path image = dir.resolve(name + ".img");
    assertEquals(0, chaos("save", name, image.toString()).code());
    byte[] whole = Files.readAllBytes(image);
    Path cut = dir.resolve("cut.img");
    Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
    DaemonProcess.Run truncated = chaos("restore", cut.toString());
    assertEquals(ExitCodes.USAGE, truncated.code(), truncated.out() + truncated.err());
    assertTrue(truncated.err().contains("incomplete"), truncated.err());

    // The same image, its format version (bytes 8 to 11, little-endian) made one newer.
    byte[] newer = whole.clone();
    newer[8] = 2;
    Path newerImage = dir.resolve("newer.img");
    Files.write(newerImage, newer);
    DaemonProcess.Run tooNew = chaos("restore", newerImage.toString());
    assertEquals(ExitCodes.USAGE, tooNew.code(), tooNew.out() + tooNew.err());
    assertTrue(tooNew.err().contains("format version 2, newer than"), tooNew.err());

    // A guest with a disk whose file is gone by the restore: refused, naming the file.
    String withDisk = "ck-disk";
    Path disk = TestGuest.markerDisk(dir, withDisk + "-disk", "gone soon");
    Path diskConfig =
        Unikernel.writeXlConfig(
            dir, withDisk, Unikernel.Mode.COUNT, "disk = [ '" + disk + ",raw,xvdb,rw' ]");
    assertEquals(0, chaos("create", diskConfig.toString()).code());
    Path diskImage = dir.resolve(withDisk + ".img");
    DaemonProcess.Run diskSaved = chaos("save", withDisk, diskImage.toString());
    assertEquals(0, diskSaved.code(), diskSaved.out() + diskSaved.err());
    Files.delete(disk);
    DaemonProcess.Run noDisk = chaos("restore", diskImage.toString());
    assertTrue(noDisk.code() != 0, noDisk.out() + noDisk.err());
    assertTrue(noDisk.err().contains(disk.toString()), noDisk.err());
    assertFalse(chaos("list").out().contains(withDisk), "a guest restored without its disk");

    // Not writable: no file, no partial file, and the guest is not touched.
    DaemonProcess.Run restored = chaos("restore", image.toString());
    assertEquals(0, restored.code(), restored.err());
    Path nowhere = dir.resolve("no-such-dir").resolve("x.img");
    DaemonProcess.Run unwritable = chaos("save", name, nowhere.toString());
    assertTrue(unwritable.code() != 0, unwritable.out());
    assertTrue(unwritable.err().contains("cannot write " + nowhere), unwritable.err());
    assertTrue(chaos("list").out().contains(name + " "), "the guest runs on");

    // A XenStore guest that ignores control/shutdown never suspends: it runs on.
    String deaf = "ck-deaf";
    assertEquals(
        0,
        chaos("create", Unikernel.writeXlConfig(dir, deaf, Unikernel.Mode.NOOP).toString()).code());
    Path deafImage = dir.resolve(deaf + ".img");
    DaemonProcess.Run ignored = chaos("save", deaf, deafImage.toString());
    assertEquals(ExitCodes.FAILURE, ignored.code(), ignored.out() + ignored.err());
    assertTrue(ignored.err().contains(deaf + " did not suspend within"), ignored.err());
    assertFalse(Files.exists(deafImage), "an image of a save that failed");
    assertTrue(chaos("list").out().contains(deaf + " "), "the guest runs on");

    assertEquals(0, chaos("destroy", name).code());
    assertEquals(0, chaos("destroy", deaf).code());
    daemon.awaitPool(XENSTORE_SHELLS, 1);
    awaitAsManyDomainsAs(before);
    try (var files = Files.list(dir)) {
      assertEquals(
          List.of(),
          files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("partial")).toList());
    }
  }

  /**
   * Waits until there are as many domains as {@code before}: Domain-0 and the pool's shells (the
   * restores took shells, which were made again, under other domids).
   */
  private static void awaitAsManyDomainsAs(Set<Integer> before) throws InterruptedException {
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (NoxsDaemonCycle.domids().size() != before.size()) {
      assertTrue(
          System.nanoTime() < deadline,
          "domains " + NoxsDaemonCycle.domids() + ", not as many as " + before);
      Thread.sleep(250);
    }
  }

  /**
   * `chaos save` and `chaos restore` name their file, which the daemon opens as the caller; a file
   * it cannot open (here: a folder that is not there, as a path outside the daemon's view of the
   * file system would be) makes the image travel on the connection instead, both ways.
   */
  @Test
  void anImageFileTheDaemonCannotOpenTravelsInFramesBothWays() throws Exception {
    String name = "ck-frames";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    int domid =
        counting(
            Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT), console, XENSTORE_SHELLS);
    String elsewhere = "/no-such-folder-for-chaos/" + name + ".img";

    ByteArrayOutputStream image = new ByteArrayOutputStream();
    Reply saved;
    try (DaemonClient.Session session = DaemonClient.connect(daemon.socket)) {
      Codec.write(
          session.out,
          new Request.Save(Protocol.VERSION, new GuestRef(name), false, false, false, elsewhere));
      Reply.Image head = assertInstanceOf(Reply.Image.class, session.readReply(null));
      assertFalse(head.toFile(), "the daemon says it wrote a file it cannot open");
      ImageFrames.reader(session.in).transferTo(image);
      saved = session.readReply(null);
    }
    assertInstanceOf(Reply.Done.class, saved, saved.toString());
    long last = Unikernel.lastCount(console);
    NoxsDaemonCycle.awaitDomainsGone(Set.of(domid));
    daemon.awaitPool(XENSTORE_SHELLS, 1);

    Reply restored;
    try (DaemonClient.Session session = DaemonClient.connect(daemon.socket)) {
      Codec.write(
          session.out, new Request.Restore(Protocol.VERSION, null, false, false, elsewhere));
      Reply.SendImage ask = assertInstanceOf(Reply.SendImage.class, session.readReply(null));
      assertTrue(ask.why().contains("cannot read " + elsewhere), ask.why());
      try (OutputStream frames = ImageFrames.writer(session.out)) {
        frames.write(image.toByteArray());
      }
      restored = session.readReply(null);
    }
    Reply.Created created = assertInstanceOf(Reply.Created.class, restored, restored.toString());
    assertResumedCountingOn(console, last);
    assertEquals(0, chaos("destroy", name).code());
    NoxsDaemonCycle.awaitDomainsGone(Set.of(created.domid()));
  }

  @Test
  void aRestoreWhoseImageStopsComingFailsWithinTheIdleLimitAndLeavesNothing() throws Exception {
    String name = "ck-stall";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    counting(Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT), console, XENSTORE_SHELLS);
    Path image = dir.resolve(name + ".img");
    assertEquals(0, chaos("save", name, image.toString()).code());
    byte[] whole = Files.readAllBytes(image);
    daemon.awaitPool(XENSTORE_SHELLS, 1);
    Set<Integer> before = NoxsDaemonCycle.domids();

    // A client that sends the image's head and half its stream, then nothing, and stays.
    Reply reply;
    long start = System.nanoTime();
    try (DaemonClient.Session session = DaemonClient.connect(daemon.socket)) {
      Codec.write(session.out, new Request.Restore(Protocol.VERSION, null, false));
      OutputStream frames = ImageFrames.writer(session.out);
      frames.write(whole, 0, whole.length / 2);
      frames.flush();
      // bounded, so that a daemon that waits for ever fails the test (TimedOut)
      reply = session.readReplyWithin(Duration.ofSeconds(IDLE_SECONDS + 30));
    }
    double seconds = (System.nanoTime() - start) / 1e9;

    Reply.Error error = assertInstanceOf(Reply.Error.class, reply);
    assertEquals(ErrorCode.BAD_REQUEST, error.code());
    assertTrue(
        error.message().contains("cannot restore " + name)
            && error.message().contains("the client sent nothing more within 20 s"),
        error.message());
    assertTrue(seconds >= IDLE_SECONDS, "the restore failed before the limit: " + seconds + " s");
    assertFalse(chaos("list").out().contains(name), "a guest of a restore that failed");
    // Its domain destroyed, the pool made whole again.
    daemon.awaitPool(XENSTORE_SHELLS, 1);
    awaitAsManyDomainsAs(before);
    // The same image, whole, still restores.
    DaemonProcess.Run restored = chaos("restore", image.toString());
    assertEquals(0, restored.code(), restored.out() + restored.err());
    assertEquals(0, chaos("destroy", name).code());
  }

  /** With the config's own uuid, which the guest keeps (and Dom0's /vm nodes with it). */
  @Test
  void aXenStoreCounterMigratedLiveToItsOwnHostCountsOnUnderItsName() throws Exception {
    String name = "mg-count";
    String uuid = "3c0ffee5-0b5e-4d1a-8e2f-5a1e0f1ce0de";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Path config =
        Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT, "uuid = \"" + uuid + "\"");
    List<String> vms = xenstoreList("/vm");

    int domid = migratedCountsOn(name, config, console, XENSTORE_SHELLS, installedReceive());

    assertEquals(UUID.fromString(uuid), NoxsDaemonCycle.handleOf(domid));
    String vm =
        Command.run(LIMIT, "xenstore-read", "/local/domain/" + domid + "/vm").orThrow().output();
    assertEquals("/vm/" + uuid, vm.strip());
    List<String> after = xenstoreList("/vm");
    assertTrue(after.contains(uuid), after.toString());
    after.remove(uuid);
    assertEquals(vms, after, "/vm has the guest's node and no other left by the migration");
    assertEquals(0, chaos("destroy", name).code());
  }

  /** Without one: the handle the guest had (the pooled shell's it was created in) goes with it. */
  @Test
  void aNoxsCounterMigratedLiveToItsOwnHostCountsOnUnderItsName() throws Exception {
    assumeTrue(PATCHED, "RIG_XEN=stock: no noxs");
    String name = "mg-nx-count";
    Path config = NoxsDaemonCycle.noxsConfigIn(dir, name, Unikernel.Mode.COUNT);
    migratedCountsOn(name, config, noxsConsole(name), NOXS_SHELLS, receiveCommand());
    assertEquals(0, chaos("destroy", name).code());
  }

  private static List<String> xenstoreList(String path) throws Exception {
    String out = Command.run(LIMIT, "xenstore-list", path).orThrow().output();
    return new ArrayList<>(out.lines().map(String::strip).sorted().toList());
  }

  /**
   * {@code chaos migrate --live NAME localhost}, the transport being the receive command itself
   * ({@code -s ''}: the rig has no sshd): the guest counts on in a new domain under its own name,
   * the source's domain is gone, no NAME--incoming is left, the image went into the transport's
   * pipe (not in frames), which the destination's daemon read, and the new domain has the source's
   * handle (its UUID). Returns the new domain's domid.
   */
  private int migratedCountsOn(
      String name, Path config, ConsoleLog console, String shells, String receive)
      throws Exception {
    int domid = counting(config, console, shells);
    UUID handle = NoxsDaemonCycle.handleOf(domid);
    daemon.awaitPool(shells, 1);
    long relays = relays();

    DaemonProcess.Run migrated = chaos("migrate", "--live", "-s", "", name, receive);

    assertEquals(0, migrated.code(), migrated.out() + migrated.err());
    assertTrue(migrated.out().contains("migrated " + name + " to "), migrated.out());
    // libxenguest wrote the image into the transport's pipe: it did not travel in frames.
    assertTrue(
        daemon
            .logText()
            .lines()
            .noneMatch(l -> l.contains("/fd/0") && l.contains("travels on the")),
        daemon.logText());
    // The destination's daemon read the relay's standard input (the transport's pipe) itself:
    // the image went from libxenguest to libxenguest with no copy between.
    assertEquals(relays + 1, relays(), daemon.logText());
    long last = Unikernel.lastCount(console);
    assertResumedCountingOn(console, last);
    NoxsDaemonCycle.awaitDomainsGone(Set.of(domid));
    String list = chaos("list").out();
    assertFalse(list.contains("--incoming"), list);
    assertEquals(1, list.lines().filter(l -> l.startsWith(name + " ")).count(), list);
    Matcher there = Pattern.compile("\\(domid (\\d+) there").matcher(migrated.out());
    assertTrue(there.find(), migrated.out());
    int moved = Integer.parseInt(there.group(1));
    assertEquals(handle, NoxsDaemonCycle.handleOf(moved), "the handle went with the guest");
    return moved;
  }

  /** How many migrations' relays the daemon has read so far. */
  private long relays() {
    return daemon
        .logText()
        .lines()
        .filter(l -> l.contains("a migration's relay: requests and image from /proc/"))
        .count();
  }

  /**
   * A migration the destination refuses (its daemon is not there; its command fails; its transport
   * dies or stalls in the middle of the image): a clear error, the guest counts on here, nothing is
   * left.
   */
  @Test
  void aMigrationToADestinationThatIsDownOrRefusesLeavesTheGuestRunning() throws Exception {
    String name = "mg-refused";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    daemon.awaitPool(XENSTORE_SHELLS, 1);
    DaemonProcess.Run created =
        chaos("create", Unikernel.writeXlConfig(dir, name, Unikernel.Mode.COUNT).toString());
    assertEquals(0, created.code(), created.err());
    int domid = DaemonTestBase.domidOf(created);
    console.awaitLineContaining(Unikernel.COUNT + "2", LIMIT);
    daemon.awaitPool(XENSTORE_SHELLS, 1);
    Set<Integer> before = NoxsDaemonCycle.domids();

    DaemonProcess.Run down =
        chaos(
            "migrate",
            "-s",
            "",
            name,
            installedReceive()
                .replace(daemon.socket.toString(), dir.resolve("none.sock").toString()));
    assertTrue(down.code() != 0, down.out() + down.err());
    assertTrue(down.err().contains("cannot migrate " + name), down.err());
    assertTrue(down.err().contains("cannot reach chaos-daemon"), down.err());
    assertTrue(down.err().contains("(no socket there)"), "socat's relay: " + down.err());
    assertTrue(down.err().contains(name + " goes on here"), down.err());

    DaemonProcess.Run refused = chaos("migrate", "-s", "", name, "exit 3");
    assertTrue(refused.code() != 0, refused.out() + refused.err());
    assertTrue(refused.err().contains(name + " goes on here"), refused.err());
    assertEquals(before, NoxsDaemonCycle.domids());

    // A transport that dies in the middle of the image: the destination drops what it restored.
    DaemonProcess.Run cut =
        chaos("migrate", "-s", "", name, "stdbuf -o0 head -c 30000 | " + installedReceive());
    assertTrue(cut.code() != 0, cut.out() + cut.err());
    assertTrue(cut.err().contains("incomplete"), cut.err());
    assertTrue(cut.err().contains(name + " goes on here"), cut.err());

    // A transport that stalls in the middle of the image, and ends only 90 s later: the
    // destination gives up after its idle limit without a byte (libxenguest would wait as long as
    // its pipe does), and the source once its transport ends.
    DaemonProcess.Run stalled =
        chaos(
            "migrate",
            "-s",
            "",
            name,
            "{ stdbuf -o0 head -c 30000; sleep 90; } | " + installedReceive());
    assertTrue(stalled.code() != 0, stalled.out() + stalled.err());
    assertTrue(
        stalled.err().contains("its transport sent nothing for " + IDLE_SECONDS + " s"),
        stalled.err());
    assertTrue(stalled.err().contains(name + " goes on here"), stalled.err());

    long last = Unikernel.lastCount(console);
    console.awaitLineContaining(Unikernel.COUNT + (last + 2), LIMIT);
    daemon.awaitPool(XENSTORE_SHELLS, 1);
    assertEquals(before.size(), NoxsDaemonCycle.domids().size(), "domains " + before);
    assertTrue(chaos("list").out().contains(name + " "), "the guest runs on");
    assertEquals(0, chaos("destroy", name).code());
    NoxsDaemonCycle.awaitDomainsGone(Set.of(domid));
  }

  /**
   * chaos-daemon, source and destination at once, killed (SIGKILL) while it migrates a Linux guest
   * to its own host: the restarted daemon resumes the source's guest (the stream had not finished)
   * and destroys the half-restored incoming one: one copy runs, no other domain is left.
   */
  @Test
  void aDaemonKilledInTheMiddleOfAMigrationLeavesOneCopyRunningOnceRestarted() throws Exception {
    String name = "mg-killed";
    ConsoleLog console = ConsoleLog.of(name).sinceNow();
    Path config = linuxConfig(name, "rig.ip=10.0.0.47/24", "vif = [ 'bridge=xenbr0' ]");
    daemon.awaitPool(LINUX_SHELLS, 1);
    DaemonProcess.Run created = chaos("create", config.toString());
    assertEquals(0, created.code(), created.err());
    int domid = DaemonTestBase.domidOf(created);
    console.awaitLineContaining("eth0 up", LIMIT);
    daemon.awaitPool(LINUX_SHELLS, 1);
    daemon.awaitPool(XENSTORE_SHELLS, 1);
    Set<Integer> before = NoxsDaemonCycle.domids();
    DaemonProcess first = daemon;
    String receive = receiveCommand();
    CompletableFuture<DaemonProcess.Run> migrating =
        CompletableFuture.supplyAsync(() -> first.chaos("migrate", "-s", "", name, receive));
    awaitSuspended(domid);

    daemon.kill(); // SIGKILL while the suspended guest's memory is on its way

    DaemonProcess.Run reply = migrating.get(60, TimeUnit.SECONDS);
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, reply.code(), reply.out() + reply.err());
    assertTrue(reply.err().contains("lost chaos-daemon during the migration"), reply.err());
    daemon = newDaemon();
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (!daemon.logText().contains(name + " (domain " + domid + ") was suspended")) {
      assertTrue(System.nanoTime() < deadline, daemon.logText());
      Thread.sleep(200);
    }
    daemon.awaitPool(LINUX_SHELLS, 1);
    daemon.awaitPool(XENSTORE_SHELLS, 1);
    while (NoxsDaemonCycle.domids().size() != before.size()) {
      assertTrue(
          System.nanoTime() < deadline,
          "domains "
              + NoxsDaemonCycle.domids()
              + ", not as many as "
              + before
              + ":\n"
              + daemon.logText());
      Thread.sleep(250);
    }
    String list = chaos("list").out();
    assertEquals(1, list.lines().filter(l -> l.startsWith(name)).count(), list);
    assertPings("10.0.0.47");
    typed(name, "after-the-kill");
    assertEquals(0, chaos("destroy", name).code());
  }

  /**
   * What {@code chaos migrate -s '' NAME HOST} runs for HOST, for sh: the receive command in a JVM
   * ({@code MigrateCommands.Receive}, the relay of a host without socat).
   */
  private static String receiveCommand() {
    return String.join(
        " ", daemon.chaosCommand("migrate-receive").stream().map(a -> "'" + a + "'").toList());
  }

  /**
   * The same through the command as installed (the build's bin/chaos, beside its lib/), as ssh
   * starts it on a destination: with the rig Dom0's socat, its relay is socat, not a JVM.
   */
  private static String installedReceive() {
    Path command = Path.of("chaos-cli/target/chaos/bin/chaos").toAbsolutePath();
    return "'" + command + "' migrate-receive '--socket=" + daemon.socket + "'";
  }

  private static final java.time.Duration LIMIT = DaemonProcess.LIMIT;

  private static DaemonProcess.Run chaos(String... args) {
    return daemon.chaos(args);
  }

  private static ConsoleLog noxsConsole(String name) {
    return new ConsoleLog(logs.resolve("console").resolve(name + ".log"));
  }
}
