package org.chaosvm.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
    name = "pool",
    mixinStandardHelpOptions = true,
    description =
        "Show the pool, or set its targets: chaos pool 256x1=4 64x1=10 (0 empties a class).")
final class PoolCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "MEMORYxVCPUS=COUNT", arity = "0..*", description = "targets to set")
  List<String> targets = List.of();

  @Override
  public Integer call() throws DaemonClient.Unreachable {
    if (targets.isEmpty()) {
      return Requests.send(connection, spec, new Request.Info(Protocol.VERSION));
    }
    Map<String, Integer> parsed = new LinkedHashMap<>();
    for (String target : targets) {
      String[] parts = target.split("=");
      try {
        parsed.put(parts[0], Integer.parseInt(parts[1]));
      } catch (RuntimeException e) {
        throw new ParameterException(
            spec.commandLine(), "'" + target + "' is not MEMORYxVCPUS=COUNT, e.g. 256x1=4");
      }
    }
    return Requests.send(connection, spec, new Request.SetPool(Protocol.VERSION, parsed));
  }
}
