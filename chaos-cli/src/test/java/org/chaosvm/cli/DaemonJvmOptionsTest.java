package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The installed daemon's JVM options (lib/chaos-daemon.jvm), in a JVM of their own. */
@Timeout(90)
class DaemonJvmOptionsTest {
  /**
   * Runs out of heap on one thread while another would keep the process up: a daemon in that state
   * answers nothing yet stays alive, so systemd never restarts it.
   */
  public static final class HeapExhauster {
    public static void main(String[] args) throws InterruptedException {
      Thread alive =
          new Thread(
              () -> {
                try {
                  Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      alive.start();
      List<long[]> hoard = new ArrayList<>();
      while (true) {
        hoard.add(new long[1 << 16]);
      }
    }
  }

  @Test
  void aDaemonWhoseHeapRanOutExitsForItsSupervisorToRestartIt() throws Exception {
    List<String> argv = DaemonProcess.java(HeapExhauster.class.getName());
    // the module's folder for a unit test, the checkout's for the rig's
    Path options = Path.of("src/main/dist/lib/chaos-daemon.jvm");
    argv.add(
        1,
        "@"
            + (Files.exists(options) ? options : DaemonProcess.DAEMON_JVM_OPTIONS)
                .toAbsolutePath());
    argv.add(2, "-Xmx32m");
    Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
    boolean ended = process.waitFor(60, TimeUnit.SECONDS);
    if (!ended) {
      process.destroyForcibly();
    }
    String output = new String(process.getInputStream().readAllBytes());
    assertTrue(ended, "still running after its heap ran out: " + output);
    assertEquals(3, process.exitValue(), output);
    assertTrue(output.contains("Terminating due to java.lang.OutOfMemoryError"), output);
  }
}
