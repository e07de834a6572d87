package org.chaosvm.rig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The rig's xenstored, for what must run on a Dom0 without it: {@link #stop} stops xenconsoled
 * (which needs it) and xenstored, as the rig's Dom0 started them (xen-rig/dom0/stage2). Neither is
 * started again: a new xenstored would not get the Dom0 kernel's watches back, so whatever stops
 * them runs last in its boot.
 */
public final class XenStored {
  private static final Path XENSTORED_PID = Path.of("/run/xen/xenstored.pid");
  private static final Path XENCONSOLED_PID = Path.of("/run/xen/xenconsoled.pid");
  private static final Duration LIMIT = Duration.ofSeconds(30);

  private XenStored() {}

  /** Stops xenconsoled and xenstored, and waits until both are gone. */
  public static void stop() throws IOException, InterruptedException {
    stop(XENCONSOLED_PID);
    stop(XENSTORED_PID);
  }

  private static void stop(Path pidFile) throws IOException, InterruptedException {
    if (!Files.exists(pidFile)) {
      return;
    }
    String pid = Files.readString(pidFile).strip();
    Command.run(LIMIT, "kill", pid);
    long deadline = System.nanoTime() + LIMIT.toNanos();
    while (Files.exists(Path.of("/proc", pid))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(pidFile + ": process " + pid + " did not stop");
      }
      Thread.sleep(100);
    }
    Files.delete(pidFile);
  }
}
