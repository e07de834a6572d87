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
import org.chaosvm.protocol.Protocol;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's choice for {@code chaos migrate-receive} (lib/migrate-receive.sh): socat for the
 * plain relay, the JVM for anything else. Here a stand-in socat prints how it was called; the relay
 * itself is proven in the rig (DaemonCheckpointE2ETest's migrations).
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
    Files.writeString(socat, "#!/bin/sh\necho \"socat $*\"\n");
    Files.setPosixFilePermissions(socat, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @Test
  void aPlainReceiveBecomesSocatOnTheGivenSocket() throws Exception {
    try (ServerSocketChannel daemon = listening("chaos.sock")) {
      String expected =
          "socat -lp chaos migrate-receive -b 262144 -t 600 STDIO UNIX-CONNECT:"
              + dir.resolve("chaos.sock");
      Run equals = run(bin, "migrate-receive", "--socket=" + dir.resolve("chaos.sock"));
      assertEquals(new Run(0, expected + "\n", ""), equals);
      Run separate = run(bin, "migrate-receive", "--socket", dir.resolve("chaos.sock").toString());
      assertEquals(new Run(0, expected + "\n", ""), separate);
    }
  }

  @Test
  void aSocketThatIsNotThereIsSaidAsTheJvmWouldSayIt() throws Exception {
    Path missing = dir.resolve("none.sock");
    Run run = run(bin, "migrate-receive", "--socket=" + missing);
    assertEquals(ExitCodes.DAEMON_UNREACHABLE, run.code(), run.toString());
    assertTrue(run.err().contains("cannot reach chaos-daemon at " + missing), run.err());
    assertEquals("", run.out());
  }

  /** Without --socket, the daemon's default socket, as the JVM's command has it. */
  @Test
  void withoutASocketTheDaemonsDefaultOne() throws Exception {
    Run run = run(bin, "migrate-receive");
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
      assertEquals(new Run(0, JVM + "\n", ""), run(bin, "migrate-receive", "--help"));
      assertEquals(new Run(0, JVM + "\n", ""), run(bin, "migrate-receive", socket, "--json"));
      assertEquals(new Run(0, JVM + "\n", ""), run(bin, "list", socket));
      Path empty = Files.createDirectories(dir.resolve("empty"));
      assertEquals(new Run(0, JVM + "\n", ""), run(empty, "migrate-receive", socket));
    }
  }

  private ServerSocketChannel listening(String name) throws Exception {
    ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    channel.bind(UnixDomainSocketAddress.of(dir.resolve(name)));
    return channel;
  }

  /** The launcher's two lines, in sh, with PATH = {@code path} alone. */
  private static Run run(Path path, String... args) throws Exception {
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
