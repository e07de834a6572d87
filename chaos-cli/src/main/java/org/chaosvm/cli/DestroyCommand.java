package org.chaosvm.cli;

import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;

@Command(
    name = "destroy",
    mixinStandardHelpOptions = true,
    description = "Destroy a guest at once (no shutdown).")
final class DestroyCommand extends GuestCommand {
  @Override
  Request request(GuestRef ref) {
    return new Request.Destroy(Protocol.VERSION, ref);
  }
}
