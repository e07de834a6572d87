package org.chaosvm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sd_notify through libsystemd, received as systemd receives it: a datagram on the socket that
 * NOTIFY_SOCKET names (Python's socket module binds it: Java cannot).
 */
class SystemdNotifyTest {
  @Test
  void readinessReachesTheSocketSystemdGives(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 binds the test socket");
    Path socket = dir.resolve("notify");
    Path received = dir.resolve("received");
    Process systemd =
        new ProcessBuilder(
                "/usr/bin/python3",
                "-c",
                "import socket, sys\n"
                    + "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                    + "s.bind(sys.argv[1])\n"
                    + "open(sys.argv[2] + '.bound', 'w').close()\n"
                    + "s.settimeout(60)\n"
                    + "open(sys.argv[2], 'wb').write(s.recv(4096))\n",
                socket.toString(),
                received.toString())
            .inheritIO()
            .start();
    Path bound = Path.of(received + ".bound");
    for (int i = 0; i < 200 && !Files.exists(bound); i++) {
      Thread.sleep(50);
    }
    assertTrue(Files.exists(bound), "the receiver did not bind its socket");

    ProcessBuilder daemon =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            SystemdNotifyProbe.class.getName(),
            "READY=1");
    daemon.environment().put("NOTIFY_SOCKET", socket.toString());
    Process probe = daemon.inheritIO().start();
    assertTrue(probe.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, probe.exitValue());
    assertTrue(systemd.waitFor(60, TimeUnit.SECONDS));
    assertEquals(List.of("READY=1"), Files.readAllLines(received, StandardCharsets.UTF_8));
  }
}
