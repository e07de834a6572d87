package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's choice for {@code chaos migrate-receive} (lib/migrate-receive.sh): socat for the
 * plain relay (with a relay request when standard input is a pipe), the JVM for anything else. Here
 * a stand-in socat prints how it was called; the relay itself is proven in the rig
 * (DaemonCheckpointE2ETest's migrations).
 */
@Timeout(60)
class MigrateReceiveRelayTest {
  /** Printed by the script after the function returned: the launcher would start the JVM. */
  private static final String JVM = "the JVM's turn";

  @TempDir Path dir;
  private Path bin;

  /** The result of one run: exit code, output, error output. */
  private record Run(int code, String out, String err) {}

  @BeforeEach
  void standInSocat() throws Exception {
    bin = Files.createDirectories(dir.resolve("bin"));
    Path socat = bin.resolve("socat");
    // What it was called with, then the first line it read, if any (read and echo are built in).
    Files.writeString(
        socat, "#!/bin/sh\necho \"socat $*\"\nif read -r line; then echo \"$line\"; fi\n");
    Files.setPosixFilePermissions(socat, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void aPlainReceiveBecomesSocatOnTheGivenSocket() throws Exception {
    try (ServerSocketChannel daemon = listening("chaos.sock")) {
      String expected =
          "socat -lp chaos migrate-receive -b 262144 -t 600 STDIO UNIX-CONNECT:"
              + dir.resolve("chaos.sock");
      Run equals = run(bin, NOT_A_PIPE, "migrate-receive", "--socket=" + dir.resolve("chaos.sock"));
      assertEquals(new Run(0, expected + "\n", ""), equals);
      Run separate =
          run(bin, NOT_A_PIPE, "migrate-receive", "--socket", dir.resolve("chaos.sock").toString());
      assertEquals(new Run(0, expected + "\n", ""), separate);
    }
  }

  /**
   * A pipe on standard input, as ssh and chaos migrate give: socat sends the daemon a relay request
   * naming the script's own standard input, and relays nothing else to it.
   */
  @Test
  void aPipeOnStandardInputIsNamedToTheDaemonInARelayRequest() throws Exception {
    try (ServerSocketChannel daemon = listening("chaos.sock")) {
      Run run = run(bin, PIPE, "migrate-receive", "--socket=" + dir.resolve("chaos.sock"));
      String[] lines = run.out().split("\n");
      assertEquals(2, lines.length, run.toString());
      assertEquals(
          "socat -lp chaos migrate-receive -b 262144 -t 86400 STDIO UNIX-CONNECT:"
              + dir.resolve("chaos.sock"),
          lines[0]);
      Request request = Codec.decodeRequest(lines[1].getBytes(StandardCharsets.UTF_8));
      assertTrue(
          request instanceof Request.Relay relay
              && relay.version() == Protocol.VERSION
              && relay.input().matches("/proc/[0-9]+/fd/0"),
          lines[1]);
      assertEquals(0, run.code(), run.toString());
    }
  }

  @Test
  void aSocketThatIsNotThereIsSaidAsTheJvmWouldSayIt() throws Exception {
    Path missing = dir.resolve("none.sock");
    Run run = run(bin, PIPE, "migrate-receive", "--socket=" + missing);
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, run.code(), run.toString());
    assertTrue(run.err().contains("cannot reach chaos-daemon at " + missing), run.err());
    assertEquals("", run.out());
  }

  /** Without --socket, the daemon's default socket, as the JVM's command has it. */
  @Test
  void withoutASocketTheDaemonsDefaultOne() throws Exception {
    Run run = run(bin, NOT_A_PIPE, "migrate-receive");
    String socket = Protocol.DEFAULT_SOCKET.toString();
    assertTrue(
        run.out().endsWith("UNIX-CONNECT:" + socket + "\n")
            || run.err().contains("cannot reach chaos-daemon at " + socket + " "),
        run.toString());
  }

  @Test
  void otherOptionsOtherCommandsAndNoSocatAreTheJvmsWork() throws Exception {
    try (ServerSocketChannel daemon = listening("chaos.sock")) {
      String socket = "--socket=" + dir.resolve("chaos.sock");
      assertEquals(new Run(0, JVM + "\n", ""), run(bin, PIPE, "migrate-receive", "--help"));
      assertEquals(new Run(0, JVM + "\n", ""), run(bin, PIPE, "migrate-receive", socket, "--json"));
      assertEquals(new Run(0, JVM + "\n", ""), run(bin, PIPE, "list", socket));
      Path empty = Files.createDirectories(dir.resolve("empty"));
      assertEquals(new Run(0, JVM + "\n", ""), run(empty, PIPE, "migrate-receive", socket));
    }
  }

  private ServerSocketChannel listening(String name) throws Exception {
    ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    channel.bind(UnixDomainSocketAddress.of(dir.resolve(name)));
    return channel;
  }

  /** Standard input a pipe (which the test closes at once), as ssh gives it. */
  private static final ProcessBuilder.Redirect PIPE = ProcessBuilder.Redirect.PIPE;

  /** Standard input a device. */
  private static final ProcessBuilder.Redirect NOT_A_PIPE =
      ProcessBuilder.Redirect.from(new java.io.File("/dev/null"));

  /** The launcher's two lines, in sh, with PATH = {@code path} alone and {@code stdin}. */
  private static Run run(Path path, ProcessBuilder.Redirect stdin, String... args)
      throws Exception {
    // the module's folder for a unit test, the checkout's for the rig's
    Path script = Path.of("src/main/dist/lib/migrate-receive.sh");
    if (!Files.exists(script)) {
      script = Path.of("chaos-cli").resolve(script);
    }
    List<String> argv =
        new ArrayList<>(
            List.of(
                "/bin/sh",
                "-c",
                ". \"$0\"; chaos_migrate_receive \"$@\"; echo \"" + JVM + "\"",
                script.toAbsolutePath().toString()));
    argv.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(argv);
    builder.environment().put("PATH", path.toString());
    builder.redirectInput(stdin);
    Process process = builder.start();
    process.getOutputStream().close();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the launcher's relay choice did not end");
    }
    return new Run(
        process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}
