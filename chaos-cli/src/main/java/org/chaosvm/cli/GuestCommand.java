package org.chaosvm.cli;

import java.util.concurrent.Callable;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** A subcommand that acts on one guest, named by name or domid. */
abstract class GuestCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DOM", description = "the guest: its name or its domid")
  String guest;

  abstract Request request(GuestRef ref);

  @Override
  public Integer call() throws DaemonClient.Unreachable {
    return send(request(new GuestRef(guest)));
  }

  int send(Request request) throws DaemonClient.Unreachable {
    return Requests.send(connection, spec, request);
  }
}
