package org.chaosvm.cli;

import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;

@Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause a guest's vCPUs.")
final class PauseCommand extends GuestCommand {
  @Override
  Request request(GuestRef ref) {
    return new Request.Pause(Protocol.VERSION, ref);
  }
}
