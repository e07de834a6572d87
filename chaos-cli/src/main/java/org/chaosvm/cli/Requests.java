package org.chaosvm.cli;

import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Model.CommandSpec;

/** Sends a request and prints its reply; the exit code says how it went. */
final class Requests {
  private Requests() {}

  static int send(Connection connection, CommandSpec spec, Request request)
      throws DaemonClient.Unreachable {
    Reply reply = connection.send(request);
    Output.print(reply, connection.json, spec.commandLine().getOut(), spec.commandLine().getErr());
    return ExitCodes.OK;
  }
}
