package org.chaosvm.cli;

import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;

@Command(name = "reboot", mixinStandardHelpOptions = true, description = "Ask a guest to reboot.")
final class RebootCommand extends GuestCommand {
  @Override
  Request request(GuestRef ref) {
    return new Request.Reboot(Protocol.VERSION, ref);
  }
}
