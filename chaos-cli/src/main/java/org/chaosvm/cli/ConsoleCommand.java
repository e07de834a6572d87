package org.chaosvm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Attaches to a guest's console where it is served: a XenStore guest's by xenconsoled, through
 * Xen's own console client (what {@code xl console} runs); a noxs guest's by chaos-daemon, over the
 * daemon's socket (docs/protocol.md). Ctrl-] detaches, as does the end of the input.
 */
@Command(
    name = "console",
    mixinStandardHelpOptions = true,
    description = "Attach to a guest's console (Ctrl-] to leave).")
final class ConsoleCommand implements Callable<Integer> {
  static final Path XENCONSOLE = Path.of("/usr/lib/xen-4.17/bin/xenconsole");

  /** Ctrl-]: leaves the console, as in xenconsole. */
  static final int DETACH = 0x1d;

  @Mixin Connection connection;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DOM", description = "the guest: its name or its domid")
  String guest;

  @Override
  public Integer call() throws IOException, InterruptedException, DaemonClient.Unreachable {
    return attach(connection, guest, spec);
  }

  /** Attaches to {@code guest}'s console; returns the exit code once detached. */
  static int attach(Connection connection, String guest, CommandSpec spec)
      throws IOException, InterruptedException, DaemonClient.Unreachable {
    Request request = new Request.Console(Protocol.VERSION, new GuestRef(guest));
    if (connection.direct) {
      Reply reply = Direct.handle(request);
      if (reply instanceof Reply.Console console && console.streamed()) {
        throw new ExitCodes.Failure(
            ErrorCode.WRONG_STATE,
            console.name()
                + "'s console is chaos-daemon's to serve (a noxs guest): attach without --direct",
            false);
      }
      return xenconsole(reply, spec);
    }
    try (DaemonClient.Session session = DaemonClient.connect(connection.socket)) {
      Reply reply = session.exchange(request, connection.limit(request));
      if (reply instanceof Reply.Console console && console.streamed()) {
        return stream(console, session, spec);
      }
      session.close();
      return xenconsole(reply, spec);
    }
  }

  /** xenconsole on the domain the reply names (an error reply is printed and thrown). */
  private static int xenconsole(Reply reply, CommandSpec spec)
      throws IOException, InterruptedException {
    if (!(reply instanceof Reply.Console console)) {
      Output.print(reply, false, spec.commandLine().getOut(), spec.commandLine().getErr());
      throw new IllegalStateException("no console in the reply " + reply);
    }
    if (!Files.isExecutable(XENCONSOLE)) {
      throw new IllegalStateException(XENCONSOLE + " is missing (is xen-utils-4.17 installed?)");
    }
    spec.commandLine().getOut().flush();
    Process process =
        new ProcessBuilder(
                List.of(
                    XENCONSOLE.toString(),
                    Integer.toString(console.domid()),
                    "--num",
                    "0",
                    "--type",
                    "pv"))
            .inheritIO()
            .start();
    return process.waitFor() == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
  }

  /**
   * The daemon's stream: its bytes to the output, the input's to the daemon (this command's input
   * in raw mode when it is a terminal), until Ctrl-], the input's end or the daemon's.
   */
  private static int stream(Reply.Console console, DaemonClient.Session session, CommandSpec spec)
      throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    InputStream keyboard = Chaos.input();
    AtomicBoolean left = new AtomicBoolean();
    try (RawTerminal terminal = RawTerminal.enter(keyboard)) {
      Thread input = new Thread(() -> forward(keyboard, session, left), "console-input");
      input.setDaemon(true);
      input.start();
      Reader reader = new InputStreamReader(session.in, StandardCharsets.UTF_8);
      char[] chars = new char[4096];
      int read;
      try {
        while ((read = reader.read(chars)) > 0) {
          out.write(chars, 0, read);
          out.flush();
        }
      } catch (IOException e) {
        if (!left.get()) {
          throw e;
        } // else closed under the read by the detach
      }
    }
    if (!left.get()) {
      spec.commandLine()
          .getErr()
          .println(
              "\r\nchaos: "
                  + console.name()
                  + "'s console closed: the guest is gone, or chaos-daemon stopped");
    }
    return ExitCodes.OK;
  }

  /** The keyboard's bytes to the daemon up to Ctrl-] or the end of input; then detaches. */
  private static void forward(
      InputStream keyboard, DaemonClient.Session session, AtomicBoolean left) {
    byte[] buffer = new byte[1024];
    try {
      int read;
      while ((read = keyboard.read(buffer)) > 0) {
        int detach = indexOf(buffer, read, (byte) DETACH);
        session.out.write(buffer, 0, detach < 0 ? read : detach);
        if (detach >= 0) {
          break;
        }
      }
    } catch (IOException e) {
      // the connection is gone: the reading side tells
    }
    left.set(true);
    session.close();
  }

  private static int indexOf(byte[] bytes, int length, byte wanted) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] == wanted) {
        return i;
      }
    }
    return -1;
  }

  /** The terminal in raw mode for the console's time (as xenconsole does), then as it was. */
  private static final class RawTerminal implements AutoCloseable {
    private final String saved;

    private RawTerminal(String saved) {
      this.saved = saved;
    }

    static RawTerminal enter(InputStream keyboard) throws IOException, InterruptedException {
      if (keyboard != System.in || System.console() == null) {
        return new RawTerminal(null); // not a terminal: bytes as they come
      }
      String saved = stty("-g").strip();
      stty("raw", "-echo");
      return new RawTerminal(saved);
    }

    @Override
    public void close() throws IOException, InterruptedException {
      if (saved != null) {
        stty(saved);
      }
    }

    /** stty on this command's terminal (its standard input); what it prints. */
    private static String stty(String... args) throws IOException, InterruptedException {
      List<String> argv = new ArrayList<>(List.of("stty"));
      argv.addAll(List.of(args));
      Process process =
          new ProcessBuilder(argv)
              .redirectInput(ProcessBuilder.Redirect.INHERIT)
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String printed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IOException("stty " + String.join(" ", args) + " failed");
      }
      return printed;
    }
  }
}
