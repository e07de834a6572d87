package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.chaosvm.protocol.Samples;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The chaos command through {@code Chaos.run}, against a stand-in daemon (no Xen). */
@Timeout(60)
class ChaosCommandTest {
  @TempDir Path dir;
  private StandInDaemon daemon;

  record Run(int code, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    daemon = new StandInDaemon(dir, request -> new Reply.Done("ok"));
  }

  @AfterEach
  void stop() throws Exception {
    daemon.close();
  }

  private Run chaos(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> argv = new ArrayList<>(List.of(args));
    if (argv.size() > 0 && !argv.get(0).startsWith("-")) {
      argv.add("--socket=" + daemon.socket);
    }
    int code = Chaos.run(new PrintWriter(out), new PrintWriter(err), argv.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void theHelpListsEveryExitCode() {
    Run help = chaos("--help");
    assertEquals(ExitCodes.OK, help.code());
    for (int code = 0; code <= 9; code++) {
      assertTrue(
          help.out().matches("(?s).*\\n\\s+" + code + "\\s+\\S.*"), code + ":\n" + help.out());
    }
    for (String command : List.of("create", "destroy", "list", "network-attach", "block-list")) {
      assertTrue(help.out().contains(command), command);
    }
  }

  @Test
  void noCommandPrintsTheUsageAndExitsWithTheUsageCode() {
    Run none = chaos();
    assertEquals(ExitCodes.USAGE, none.code());
    assertTrue(none.err().contains("Usage: chaos"), none.err());
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    Run unknown = chaos("frobnicate", "x");
    assertEquals(ExitCodes.USAGE, unknown.code());
  }

  @Test
  void eachErrorCodeOfTheDaemonGivesItsExitCode() {
    Map<ErrorCode, Integer> expected =
        Map.of(
            ErrorCode.BAD_REQUEST, 2,
            ErrorCode.CONFIG, 3,
            ErrorCode.NOT_FOUND, 4,
            ErrorCode.NO_CAPACITY, 6,
            ErrorCode.EXISTS, 7,
            ErrorCode.WRONG_STATE, 1,
            ErrorCode.XEN, 1,
            ErrorCode.INTERNAL, 1,
            ErrorCode.BUSY, 9,
            ErrorCode.DENIED, 8);
    assertEquals(ErrorCode.values().length, expected.size(), "every code has its exit code");
    expected.forEach(
        (code, exit) -> {
          daemon.answer(request -> new Reply.Error(code, "because " + code));
          Run run = chaos("destroy", "web1");
          assertEquals(exit, run.code(), code.name());
          assertEquals("chaos: because " + code + "\n", run.err());
        });
  }

  @Test
  void aDaemonThatIsNotThereIsExitCodeFiveAndSaysWhatToDo() throws Exception {
    daemon.close();
    Run run = chaos("list");
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, run.code());
    assertTrue(run.err().contains("is it running? (or use --direct)"), run.err());
  }

  @Test
  void aDaemonThatNeverRepliesIsGivenUpOnAfterTheTimeout() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    daemon.answer(
        request -> {
          try {
            stuck.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return new Reply.Done("too late");
        });
    try {
      long start = System.nanoTime();
      Run run = chaos("destroy", "web1", "--timeout", "1");
      assertEquals(ExitCodes.TIMED_OUT, run.code(), run.err());
      assertTrue(run.err().contains("no reply from chaos-daemon"), run.err());
      assertTrue(run.err().contains("within 1 s"), run.err());
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20));
    } finally {
      stuck.countDown();
    }
  }

  @Test
  void aDaemonThatRefusesBeforeReadingTheRequestIsBusyNotLost() throws Exception {
    // A config of 1 MiB outgrows the socket's buffer: the write fails (EPIPE) once the
    // stand-in has answered and closed, and the reply is read all the same.
    Path config = dir.resolve("big.cfg");
    Files.writeString(config, "#".repeat((int) Protocol.MAX_CONFIG_BYTES - 1) + "\n");
    daemon.refuseUnread(new Reply.Error(ErrorCode.BUSY, "too many at once"));
    Run run = chaos("create", config.toString());
    assertEquals(ExitCodes.BUSY, run.code(), run.err());
    assertEquals("chaos: too many at once\n", run.err());
  }

  @Test
  void everyReplyIsPrintedForPeopleAndAsJson() {
    for (Reply reply : Samples.replies()) {
      daemon.answer(request -> reply);
      Run human = chaos("list");
      Run json = chaos("list", "--json");
      boolean error = reply instanceof Reply.Error;
      assertFalse((error ? human.err() : human.out()).isBlank(), reply.toString());
      assertEquals(human.code(), json.code(), reply.toString());
      assertTrue(json.out().startsWith("{\"reply\":"), json.out());
    }
  }

  @Test
  void listSaysWhatABootloadersBootTimeMeasured() {
    daemon.answer(
        request ->
            new Reply.Guests(
                List.of(
                    new Reply.GuestInfo(3, "web1", 256, 1, "running", 812.5),
                    new Reply.GuestInfo(4, "web2", 256, 1, "running", 2400.0, "pygrub"),
                    new Reply.GuestInfo(5, "web3", 256, 1, "running", 95.0, "PV-GRUB2"))));
    Run run = chaos("list");
    assertEquals(ExitCodes.OK, run.code(), run.err());
    assertTrue(run.out().contains(" 812.5  running"), run.out());
    assertTrue(run.out().contains(" 2400.0*  running"), run.out());
    assertTrue(run.out().contains(" 95.0+  running"), run.out());
    assertTrue(
        run.out()
            .endsWith(
                "+ booted by PV-GRUB2: to GRUB's first output, before the guest's kernel\n"
                    + "* booted by pygrub in Dom0: its run is included\n"),
        run.out());
  }

  @Test
  void createCountSendsInstancesAndTheDaemonNamesThem() throws Exception {
    Path config = dir.resolve("vm.cfg");
    Files.writeString(config, "this is not parsed by the command\n");
    daemon.answer(
        request ->
            new Reply.Created(
                10 + ((Request.Create) request).instance(), "web", true, Map.of("pool take", 1.0)));
    Run run = chaos("create", config.toString(), "-n", "3");
    assertEquals(ExitCodes.OK, run.code(), run.err());
    List<Integer> instances = new ArrayList<>();
    for (Request request : daemon.requests) {
      Request.Create create = assertInstanceOf(Request.Create.class, request);
      assertEquals("this is not parsed by the command\n", create.configText());
      instances.add(create.instance());
    }
    assertEquals(List.of(1, 2, 3), instances);
  }

  @Test
  void aCreateOfOneGuestSendsNoInstance() throws Exception {
    Path config = dir.resolve("vm.cfg");
    Files.writeString(config, "name = \"web\"\n");
    chaos("create", config.toString());
    assertEquals(null, ((Request.Create) daemon.requests.get(0)).instance());
  }

  @Test
  void aConfigThatIsNotThereIsAConfigError() {
    Run run = chaos("create", dir.resolve("missing.cfg").toString());
    assertEquals(ExitCodes.CONFIG, run.code());
    assertTrue(run.err().contains("no such file"), run.err());
    assertTrue(daemon.requests.isEmpty());
  }

  @Test
  void eachSubcommandIsListedUnderItsOwnNameAndOnlyTheInvokedOneIsBuilt() {
    CommandLine all = Chaos.commandLine();
    assertEquals(21, all.getSubcommands().size());
    all.getSubcommands()
        .forEach(
            (name, sub) ->
                assertEquals(
                    name,
                    sub.getCommandSpec()
                        .userObject()
                        .getClass()
                        .getAnnotation(CommandLine.Command.class)
                        .name()));
    assertEquals(
        List.of("list"),
        List.copyOf(Chaos.commandLine("list", "--json").getSubcommands().keySet()));
  }

  /** Their converters are left out at start (Chaos.CONVERTERS_EXCLUDES): no option may need one. */
  @Test
  void noOptionHasAJavaTimeOrJavaSqlType() {
    List<String> types = new ArrayList<>();
    Chaos.commandLine()
        .getSubcommands()
        .forEach(
            (name, sub) ->
                sub.getCommandSpec()
                    .args()
                    .forEach(arg -> types.add(name + " " + arg.type().getName())));
    assertTrue(types.size() > 17, types.toString());
    types.forEach(
        type -> assertFalse(type.contains(" java.time.") || type.contains(" java.sql."), type));
  }

  @Test
  void theVersionIsPrinted() {
    Run run = chaos("--version");
    assertEquals(ExitCodes.OK, run.code());
    assertTrue(run.out().startsWith("chaos "), run.out());
  }
}
