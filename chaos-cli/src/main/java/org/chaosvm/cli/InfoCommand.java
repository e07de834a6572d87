package org.chaosvm.cli;

import java.util.concurrent.Callable;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "info",
    mixinStandardHelpOptions = true,
    description = "Show the host's memory and CPUs and the pool's state per size class.")
final class InfoCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws DaemonClient.Unreachable {
    return Requests.send(connection, spec, new Request.Info(Protocol.VERSION));
  }
}
