package org.chaosvm.cli;

import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;

@Command(name = "unpause", mixinStandardHelpOptions = true, description = "Unpause a paused guest.")
final class UnpauseCommand extends GuestCommand {
  @Override
  Request request(GuestRef ref) {
    return new Request.Unpause(Protocol.VERSION, ref);
  }
}
