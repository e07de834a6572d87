package org.chaosvm.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.ImageFrames;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code chaos migrate} and {@code chaos migrate-receive}, with xl's names and habits: the guest's
 * image goes from this host's daemon to the destination's through a command ({@code ssh HOST chaos
 * migrate-receive} unless {@code -s} says otherwise), which hands it to the destination's daemon.
 * This command speaks the protocol to both daemons and decides the end (docs/checkpoints.md,
 * "Migration"): the destination restores the guest paused as NAME--incoming, the source destroys
 * its copy once both are done, and the destination then names it NAME and lets it run. Until the
 * source's destroy, any failure leaves the source's guest running and the destination with nothing.
 */
final class MigrateCommands {
  private MigrateCommands() {}

  /** How long each side has for a step after the stream: a decision's answer, say. */
  private static final Duration STEP = Duration.ofSeconds(120);

  @Command(
      name = "migrate",
      mixinStandardHelpOptions = true,
      description =
          "Move a running guest to another host's chaos-daemon, through ssh (as xl migrate).")
  static final class Migrate implements Callable<Integer> {
    @Mixin Connection connection;
    @Spec CommandSpec spec;

    @Option(
        names = "--live",
        description = "send its memory while it runs: it pauses only for the last changes")
    boolean live;

    @Option(
        names = "-s",
        paramLabel = "CMD",
        description =
            "reach HOST with CMD instead of ssh (run by sh, as CMD HOST chaos migrate-receive);"
                + " if empty, HOST itself is the command to run")
    String ssh = "ssh";

    @Option(
        names = {"-p", "--paused"},
        description = "leave the guest paused on the destination")
    boolean paused;

    @Parameters(index = "0", paramLabel = "DOM", description = "the guest: its name or its domid")
    String guest;

    @Parameters(index = "1", paramLabel = "HOST", description = "the destination host")
    String host;

    @Override
    public Integer call() throws IOException, DaemonClient.Unreachable {
      CheckpointCommands.requireDaemon(connection, "migrate");
      String command = ssh.isEmpty() ? host : ssh + " " + host + " chaos migrate-receive";
      // The transport reads a pipe, its standard input, which the source's daemon opens with this
      // user's rights (as /proc/PID/fd/0) and libxenguest writes into directly: the image goes to
      // the transport with no copy through the daemon or this command (docs/checkpoints.md, "How a
      // migration goes"). A pipe, not a FIFO of a folder's: no mkfifo process to start, which
      // costs more than a tenth of a second under emulation.
      Process transport = new ProcessBuilder("sh", "-c", command).start();
      Path input = Path.of("/proc/" + transport.pid() + "/fd/0");
      return migrate(command, input, transport, transport.getOutputStream());
    }

    private int migrate(String command, Path input, Process transport, OutputStream toTransport)
        throws IOException, DaemonClient.Unreachable {
      boolean keep = false;
      boolean hold = true; // the source waits, suspended, for the end of the migration
      Request save =
          new Request.Save(
              Protocol.VERSION, new GuestRef(guest), keep, live, hold, input.toString());
      // The destination first: its daemon answers before the guest is touched (a transport or
      // daemon that is not there costs the guest nothing, and the transport's start, an ssh
      // login and a JVM's, is not in its pause).
      Said said = Said.follow(transport.getErrorStream(), spec.commandLine().getErr());
      try (DaemonClient.Session destination =
          DaemonClient.over(
              "the destination (" + shortened(command) + ")",
              transport.getInputStream(),
              toTransport,
              () -> end(transport, toTransport))) {
        Request hello = new Request.Info(Protocol.VERSION);
        Reply ready;
        try {
          ready = destination.exchange(hello, connection.limit(hello));
        } catch (DaemonClient.Unreachable e) {
          ready = new Reply.Error(ErrorCode.INTERNAL, e.getMessage());
        }
        if (!(ready instanceof Reply.HostInfo)) {
          throw new DaemonClient.Unreachable(
              "cannot migrate "
                  + guest
                  + " to "
                  + shortened(host)
                  + ": "
                  + (ready instanceof Reply.Error error ? error.message() : ready)
                  + said.suffix()
                  + "; "
                  + guest
                  + " goes on here, untouched");
        }
        // The restore before the save: the source's daemon may write the image at once.
        Request restore =
            new Request.Restore(
                Protocol.VERSION, null, paused, /* hold */ true, null, /* unframed */ true);
        Watched toDestination = new Watched(destination.out);
        try {
          toDestination.write(Codec.encode(restore));
        } catch (IOException e) {
          toDestination.failed = true;
        }
        try (DaemonClient.Session source = DaemonClient.connect(connection.socket)) {
          Reply reply = source.exchange(save, connection.limit(save));
          if (!(reply instanceof Reply.Image image)) {
            endQuietly(destination);
            return print(reply);
          }
          return new Migration(image, source, destination, toDestination, transport, said).run();
        }
      }
    }

    /** A command or host for messages: a long one (a classpath, say) cut to its start. */
    private static String shortened(String command) {
      return command.length() <= 80 ? command : command.substring(0, 77) + "...";
    }

    /**
     * What the transport's processes have read ({@code rchar} of /proc/PID/io, the process and its
     * children): the image, but for a few files and the destination's replies.
     */
    private static long read(Process transport) {
      return Stream.concat(Stream.of(transport.toHandle()), transport.descendants())
          .mapToLong(Migrate::readBy)
          .sum();
    }

    private static long readBy(ProcessHandle process) {
      try {
        return Files.readAllLines(Path.of("/proc/" + process.pid() + "/io")).stream()
            .filter(line -> line.startsWith("rchar:"))
            .mapToLong(line -> Long.parseLong(line.substring(6).strip()))
            .sum();
      } catch (IOException | NumberFormatException e) {
        return 0; // gone, or not this user's
      }
    }

    /** Ends the transport: its input first (the relay ends with it), then the process. */
    private static void end(Process transport, OutputStream toTransport) {
      try {
        toTransport.close();
      } catch (IOException e) {
        // gone already
      }
      try {
        if (!transport.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
          transport.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        transport.destroyForcibly();
      }
    }

    private int print(Reply reply) {
      Output.print(
          reply, connection.json, spec.commandLine().getOut(), spec.commandLine().getErr());
      return ExitCodes.OK;
    }

    /** One migration's steps, once the source has begun to send. */
    private final class Migration {
      private final Reply.Image image;
      private final String name;
      private final DaemonClient.Session source;
      private final DaemonClient.Session destination;
      private final Watched toDestination;
      private final Process transport;
      private final Said said;

      Migration(
          Reply.Image image,
          DaemonClient.Session source,
          DaemonClient.Session destination,
          Watched toDestination,
          Process transport,
          Said said) {
        this.image = image;
        this.name = image.name();
        this.source = source;
        this.destination = destination;
        this.toDestination = toDestination;
        this.transport = transport;
        this.said = said;
      }

      int run() throws DaemonClient.Unreachable {
        IOException destinationFailure = null;
        long bytes = 0;
        CheckpointCommands.Progress progress =
            new CheckpointCommands.Progress(spec.commandLine().getErr(), "migrating " + name);
        Reply sent;
        try {
          if (image.toFile()) {
            // The source's daemon writes the image into the transport itself; its reply comes
            // once it is all written. On a terminal, what the transport has read so far shows.
            sent = progress.watch(() -> read(transport), () -> source.readReply(null));
            bytes = read(transport);
          } else {
            // The daemon could not open the transport's pipe (another view of /proc, a transport
            // that does not let its user look at its descriptors): the image comes here in
            // frames, and goes on as it is.
            try (InputStream frames = ImageFrames.reader(source.in)) {
              try {
                bytes = progress.copy(frames, toDestination);
              } catch (IOException e) {
                if (!toDestination.failed) {
                  throw e;
                }
                destinationFailure = e; // the destination refused or went away: it says why
                frames.transferTo(OutputStream.nullOutputStream()); // the source's end, then abort
              }
            }
            sent = source.readReplyWithin(STEP);
          }
        } catch (IOException | DaemonClient.Unreachable e) {
          // The source went away mid-stream: the destination's image ends unfinished, and its
          // daemon drops what it restored so far.
          endQuietly(destination);
          throw new DaemonClient.Unreachable(
              "lost chaos-daemon during the migration of "
                  + name
                  + " ("
                  + e.getMessage()
                  + "); nothing was kept on "
                  + shortened(host)
                  + ", and "
                  + name
                  + " goes on here once chaos-daemon runs again");
        }
        if (!(sent instanceof Reply.Done)) {
          // The source resumed its guest. The destination's image ended unfinished, or the
          // destination refused it first, which is then the reason.
          endQuietly(destination);
          Reply restored = readQuietly(destination, destinationFailure);
          decideQuietly(destination, false);
          if (restored instanceof Reply.Error refused) {
            throw new ExitCodes.Failure(
                refused.code(),
                "cannot migrate "
                    + name
                    + " to "
                    + shortened(host)
                    + ": "
                    + refused.message()
                    + said.suffix()
                    + " (here: "
                    + (sent instanceof Reply.Error error ? error.message() : sent)
                    + "); "
                    + name
                    + " goes on here",
                false);
          }
          return print(sent); // the source's error: it goes on there, as it was
        }
        Reply restored = readQuietly(destination, destinationFailure);
        if (!(restored instanceof Reply.Created)) {
          Reply aborted = decideQuietly(source, false);
          String why =
              (restored instanceof Reply.Error error
                      ? error.message()
                      : "the destination went away (" + restored + ")")
                  + said.suffix();
          ErrorCode code =
              restored instanceof Reply.Error error ? error.code() : ErrorCode.INTERNAL;
          throw new ExitCodes.Failure(
              code,
              "cannot migrate "
                  + name
                  + " to "
                  + shortened(host)
                  + ": "
                  + why
                  + "; "
                  + (aborted instanceof Reply.Done
                      ? name + " goes on here"
                      : "lost chaos-daemon here too: " + name + " goes on once it runs again"),
              false);
        }
        Reply destroyed = decideQuietly(source, true);
        if (!(destroyed instanceof Reply.Done)) {
          // Whether the source's copy is gone cannot be told: the new one is kept, paused.
          decideQuietly(destination, true, true);
          throw new ExitCodes.Failure(
              ErrorCode.INTERNAL,
              "lost chaos-daemon here while it destroyed "
                  + name
                  + " after its migration: "
                  + name
                  + " is kept paused on "
                  + shortened(host)
                  + "; if it runs here again, destroy that copy, else unpause it there",
              false);
        }
        Reply running = decideQuietly(destination, true, false);
        if (!(running instanceof Reply.Created created)) {
          throw new ExitCodes.Failure(
              running instanceof Reply.Error error ? error.code() : ErrorCode.INTERNAL,
              name
                  + " left this host, and "
                  + shortened(host)
                  + " did not confirm it runs there: "
                  + (running instanceof Reply.Error error ? error.message() : running)
                  + "; see chaos list there",
              false);
        }
        progress.done(bytes);
        return print(
            new Reply.Done(
                "migrated "
                    + name
                    + " to "
                    + shortened(host)
                    + " (domid "
                    + created.domid()
                    + " there"
                    + (paused ? ", paused)" : ")")));
      }
    }
  }

  /** Sends a decision and reads the final reply; on a lost connection, the error as a reply. */
  private static Reply decideQuietly(DaemonClient.Session session, boolean commit) {
    return decideQuietly(session, commit, false);
  }

  private static Reply decideQuietly(DaemonClient.Session session, boolean commit, boolean paused) {
    try {
      return session.exchange(new Request.Decision(Protocol.VERSION, commit, paused), STEP);
    } catch (DaemonClient.Unreachable e) {
      return new Reply.Error(ErrorCode.INTERNAL, e.getMessage());
    }
  }

  private static Reply readQuietly(DaemonClient.Session session, IOException writeFailure) {
    try {
      return writeFailure == null ? session.readReplyWithin(STEP) : session.readReply(writeFailure);
    } catch (DaemonClient.Unreachable e) {
      return new Reply.Error(ErrorCode.INTERNAL, e.getMessage());
    }
  }

  private static void endQuietly(DaemonClient.Session session) {
    try {
      session.endOutput();
    } catch (IOException e) {
      // gone already
    }
  }

  /** What the transport writes on its standard error, passed on; its last line kept. */
  private static final class Said {
    private volatile String last;

    static Said follow(InputStream stderr, java.io.PrintWriter err) {
      Said said = new Said();
      Thread thread =
          new Thread(
              () -> {
                try (var lines =
                    new java.io.BufferedReader(
                        new java.io.InputStreamReader(
                            stderr, java.nio.charset.StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = lines.readLine()) != null) {
                    err.println(line);
                    err.flush();
                    if (!line.isBlank()) {
                      said.last = line.strip();
                    }
                  }
                } catch (IOException e) {
                  // the transport ended
                }
              },
              "migrate-stderr");
      thread.setDaemon(true);
      thread.start();
      return said;
    }

    /**
     * Its last line for an error message, " (it said: LINE)", once the transport has had a moment
     * to say why it ended; empty if it said nothing.
     */
    String suffix() {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      String line = last;
      return line == null ? "" : " (it said: " + line + ")";
    }
  }

  /**
   * An output stream that remembers whether a write to it failed, and passes each write on at once
   * (the transport's pipe is buffered in this process, and the source's daemon writes the image
   * into that pipe too: a request must be in the pipe before the image is).
   */
  private static final class Watched extends FilterOutputStream {
    boolean failed;

    Watched(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      try {
        out.write(bytes, offset, length);
        out.flush();
      } catch (IOException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        failed = true;
        throw e;
      }
    }
  }

  @Command(
      name = "migrate-receive",
      mixinStandardHelpOptions = true,
      description =
          "Hand a guest that chaos migrate sends to this host's chaos-daemon: relays standard input"
              + " and output to it, or has it read a pipe on standard input itself (what chaos"
              + " migrate runs here, through ssh).")
  static final class Receive implements Callable<Integer> {
    @Mixin Connection connection;

    @Override
    public Integer call() throws IOException, DaemonClient.Unreachable {
      CheckpointCommands.requireDaemon(connection, "migrate-receive");
      try (DaemonClient.Session daemon = DaemonClient.connect(connection.socket)) {
        if (standardInputIsAPipe()) {
          // The daemon reads it itself (as the launcher's socat relay has it): only the replies
          // come through here.
          String input = "/proc/" + ProcessHandle.current().pid() + "/fd/0";
          daemon.out.write(Codec.encode(new Request.Relay(Protocol.VERSION, input)));
          daemon.out.flush();
          daemon.endOutput();
          relay(daemon.in, new FileOutputStream(FileDescriptor.out));
          return ExitCodes.OK;
        }
        InputStream in = new FileInputStream(FileDescriptor.in);
        Thread up =
            new Thread(
                () -> {
                  try {
                    relay(in, daemon.out);
                    daemon.endOutput(); // the sender is done: the daemon reads the end
                  } catch (IOException e) {
                    daemon.close();
                  }
                },
                "migrate-receive");
        up.setDaemon(true);
        up.start();
        relay(daemon.in, new FileOutputStream(FileDescriptor.out));
      }
      return ExitCodes.OK;
    }

    private static boolean standardInputIsAPipe() {
      try {
        int mode = (Integer) Files.getAttribute(Path.of("/proc/self/fd/0"), "unix:mode");
        return (mode & 0170000) == 0010000; // S_IFIFO: a pipe or a FIFO
      } catch (IOException | UnsupportedOperationException e) {
        return false;
      }
    }

    private static void relay(InputStream in, OutputStream out) throws IOException {
      byte[] buffer = new byte[1 << 20];
      int n;
      while ((n = in.read(buffer)) > 0) {
        out.write(buffer, 0, n);
        out.flush();
      }
    }
  }
}
