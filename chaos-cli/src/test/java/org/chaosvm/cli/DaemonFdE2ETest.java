package org.chaosvm.cli;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's file descriptors stay bounded under a cron job's pattern of use: connections in
 * rounds separated by idle gaps longer than the workers' keep-alive (so workers end and new ones
 * open their Xen handles again), each asking what {@code chaos list} asks. Afterwards the daemon
 * holds no more descriptors than before. Before the bounded worker pool, each worker that ended
 * left its privcmd, hypercall buffer and xenstored socket open: about three descriptors a run.
 *
 * <p>The suite makes 200 connections in 4 rounds on DaemonE2ETest's daemon (a connection costs up
 * to 0.2 s under TCG); the test tagged {@code xen-stress} makes 1000 in 10 on a daemon of its own
 * ({@code xen-rig/rig e2e --tag xen-stress DaemonFd}).
 */
@Timeout(600)
class DaemonFdE2ETest {
  private static final int KEEPALIVE_SECONDS = 1;

  @TempDir Path dir;

  @Test
  @Tag("xen-stress")
  void aThousandConnectionsWithIdleGapsLeaveNoDescriptorBehind() throws Exception {
    connectionsLeaveNoDescriptorBehind(10, 100);
  }

  private void connectionsLeaveNoDescriptorBehind(int rounds, int perRound) throws Exception {
    DaemonProcess daemon =
        new DaemonProcess(dir)
            .option("--worker-keepalive", Integer.toString(KEEPALIVE_SECONDS))
            .start();
    try {
      connectionsLeaveNoDescriptorBehind(daemon, KEEPALIVE_SECONDS, rounds, perRound);
    } finally {
      System.out.println("--- chaos-daemon's log (tail) ---\n" + tail(daemon.stop()));
    }
  }

  /**
   * {@code rounds} rounds of {@code perRound} connections to {@code daemon}, whose workers stay
   * {@code keepAlive} seconds, with gaps that outlast them; then it holds no more descriptors.
   */
  static void connectionsLeaveNoDescriptorBehind(
      DaemonProcess daemon, int keepAlive, int rounds, int perRound) throws Exception {
    round(daemon, 20); // classes loaded, the lazily opened files open
    Thread.sleep(keepAlive * 2000L);
    long before = daemon.descriptorCount();
    int most = 0;
    for (int round = 0; round < rounds; round++) {
      round(daemon, perRound);
      most = (int) Math.max(most, daemon.descriptorCount());
      Thread.sleep(keepAlive * 1500L); // longer than the keep-alive: workers end
    }
    Thread.sleep(keepAlive * 2000L);
    long after = daemon.descriptorCount();
    System.out.printf(
        "daemon descriptors: %d before, at most %d during, %d after %d connections%n",
        before, most, after, rounds * perRound);
    assertTrue(
        after <= before,
        "the daemon holds "
            + after
            + " descriptors, "
            + before
            + " before:\n"
            + daemon.openDescriptors());
  }

  private static void round(DaemonProcess daemon, int connections) throws Exception {
    for (int i = 0; i < connections; i++) {
      try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        channel.connect(UnixDomainSocketAddress.of(daemon.socket));
        Codec.write(Channels.newOutputStream(channel), new Request.ListGuests(Protocol.VERSION));
        InputStream in = new BufferedInputStream(Channels.newInputStream(channel));
        assertInstanceOf(Reply.Guests.class, Codec.decodeReply(Codec.readLine(in).orElseThrow()));
      }
    }
  }

  private static String tail(String log) {
    return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
  }
}
