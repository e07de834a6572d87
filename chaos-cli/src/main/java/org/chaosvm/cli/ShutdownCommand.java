package org.chaosvm.cli;

import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "shutdown",
    mixinStandardHelpOptions = true,
    description = "Ask a guest to power off (through XenStore's control/shutdown).")
final class ShutdownCommand extends GuestCommand {
  @Option(
      names = {"-w", "--wait"},
      description = "wait until the guest has powered off")
  boolean await;

  @Override
  Request request(GuestRef ref) {
    return new Request.Shutdown(Protocol.VERSION, ref, await);
  }
}
