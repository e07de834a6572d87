package org.chaosvm.cli;

import java.nio.file.Path;
import java.time.Duration;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Option;

/** Options every subcommand shares: where the daemon is, or to run without one. */
final class Connection {
  @Option(
      names = "--socket",
      paramLabel = "PATH",
      description = "the daemon's socket (default: ${DEFAULT-VALUE})")
  Path socket = Protocol.DEFAULT_SOCKET;

  @Option(
      names = "--direct",
      description = "run both phases in this process, without a daemon (for a Dom0 that has none)")
  boolean direct;

  @Option(names = "--json", description = "print the reply as JSON, for scripts")
  boolean json;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      description =
          "how long to wait for the daemon's reply (default: ${DEFAULT-VALUE}; shutdown --wait"
              + " waits as long as the daemon waits for the guest, beyond this)")
  int timeoutSeconds = 300;

  Reply send(Request request) throws DaemonClient.Unreachable {
    if (direct) {
      return Direct.handle(request);
    }
    return DaemonClient.send(socket, request, limit(request));
  }

  /** How long to wait for {@code request}'s reply. */
  Duration limit(Request request) {
    Duration limit = Duration.ofSeconds(Math.max(1, timeoutSeconds));
    if (request instanceof Request.Shutdown shutdown && shutdown.await()) {
      limit = limit.plusSeconds(Protocol.SHUTDOWN_WAIT_SECONDS);
    }
    return limit;
  }
}
