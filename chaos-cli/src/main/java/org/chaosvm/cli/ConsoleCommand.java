package org.chaosvm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Attaches to a guest's console through Xen's own console client (what {@code xl console} runs),
 * served by xenconsoled. Ctrl-] detaches.
 */
@Command(
    name = "console",
    mixinStandardHelpOptions = true,
    description = "Attach to a guest's console (Ctrl-] to leave).")
final class ConsoleCommand implements Callable<Integer> {
  static final Path XENCONSOLE = Path.of("/usr/lib/xen-4.17/bin/xenconsole");

  @Mixin Connection connection;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DOM", description = "the guest: its name or its domid")
  String guest;

  @Override
  public Integer call() throws IOException, InterruptedException, DaemonClient.Unreachable {
    Optional<Integer> domid = domidOf(connection, guest);
    if (domid.isEmpty()) {
      throw new ExitCodes.Failure(ErrorCode.NOT_FOUND, "no guest named " + guest, false);
    }
    return attach(domid.get(), spec);
  }

  static Optional<Integer> domidOf(Connection connection, String guest)
      throws DaemonClient.Unreachable {
    Reply reply = connection.send(new Request.ListGuests(Protocol.VERSION));
    if (!(reply instanceof Reply.Guests guests)) {
      return Optional.empty();
    }
    return guests.guests().stream()
        .filter(g -> g.name().equals(guest) || Integer.toString(g.domid()).equals(guest))
        .map(Reply.GuestInfo::domid)
        .findFirst();
  }

  static int attach(int domid, CommandSpec spec) throws IOException, InterruptedException {
    if (!Files.isExecutable(XENCONSOLE)) {
      throw new IllegalStateException(XENCONSOLE + " is missing (is xen-utils-4.17 installed?)");
    }
    spec.commandLine().getOut().flush();
    Process console =
        new ProcessBuilder(
                List.of(
                    XENCONSOLE.toString(), Integer.toString(domid), "--num", "0", "--type", "pv"))
            .inheritIO()
            .start();
    return console.waitFor() == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
  }
}
