package org.chaosvm.cli;

import java.util.concurrent.Callable;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List the domains (the pool's shells aside).")
final class ListCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws DaemonClient.Unreachable {
    return Requests.send(connection, spec, new Request.ListGuests(Protocol.VERSION));
  }
}
