package org.chaosvm.cli;

import java.nio.file.Path;
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

  Reply send(Request request) throws DaemonClient.Unreachable {
    if (direct) {
      return Direct.handle(request);
    }
    return DaemonClient.send(socket, request);
  }
}
