package org.chaosvm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
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
 * {@code chaos save} and {@code chaos restore}, with xl's names and habits. The image file is
 * written and read with this command's user's rights: by the daemon, which opens it as that user
 * and hands it to libxenguest, or, when the daemon cannot open it, by this command, the image then
 * travelling on the connection (docs/protocol.md, "Images").
 */
final class CheckpointCommands {
  private CheckpointCommands() {}

  @Command(
      name = "save",
      mixinStandardHelpOptions = true,
      description =
          "Save a guest to a checkpoint image file; the guest is destroyed once saved, unless -c.")
  static final class Save implements Callable<Integer> {
    @Mixin Connection connection;
    @Spec CommandSpec spec;

    @Option(
        names = {"-c", "--checkpoint"},
        description = "keep the guest running after the checkpoint")
    boolean keep;

    @Parameters(index = "0", paramLabel = "DOM", description = "the guest: its name or its domid")
    String guest;

    @Parameters(index = "1", paramLabel = "FILE", description = "the image file to write")
    Path file;

    @Override
    public Integer call() throws IOException, DaemonClient.Unreachable {
      requireDaemon(connection, "save");
      // Written beside FILE, then renamed over it: a failed save leaves FILE as it was.
      Path partial = partialOf(file);
      OutputStream out;
      try {
        out = Files.newOutputStream(partial);
      } catch (AccessDeniedException e) {
        throw new ExitCodes.Failure(
            ErrorCode.DENIED, "cannot write " + file + ": permission denied", false);
      } catch (IOException e) {
        throw new ExitCodes.Failure(
            ErrorCode.BAD_REQUEST, "cannot write " + file + ": " + e, false);
      }
      boolean saved = false;
      // The daemon writes the partial file itself, with this user's rights, when it can open it;
      // else the image comes in frames, and this command writes it.
      Request request =
          new Request.Save(
              Protocol.VERSION,
              new GuestRef(guest),
              keep,
              false,
              false,
              partial.toAbsolutePath().toString());
      try (out;
          DaemonClient.Session session = DaemonClient.connect(connection.socket)) {
        Reply reply = session.exchange(request, connection.limit(request));
        if (reply instanceof Reply.Image image) {
          Progress progress = new Progress(spec.commandLine().getErr(), "saving " + image.name());
          if (image.toFile()) {
            reply =
                progress.watch(
                    () -> Files.size(partial), () -> session.readReply((IOException) null));
          } else {
            try (InputStream frames = ImageFrames.reader(session.in)) {
              progress.copy(frames, out);
            } catch (IOException e) {
              throw new DaemonClient.Unreachable(
                  "lost chaos-daemon during the save: " + e.getMessage());
            }
            reply = session.readReply((IOException) null);
          }
          if (reply instanceof Reply.Done) {
            out.close();
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            saved = true;
            progress.done(Files.size(file));
          }
        }
        Output.print(
            reply, connection.json, spec.commandLine().getOut(), spec.commandLine().getErr());
        return ExitCodes.OK;
      } finally {
        if (!saved) {
          Files.deleteIfExists(partial);
        }
      }
    }

    private static Path partialOf(Path file) {
      Path name = file.getFileName();
      if (name == null) {
        throw new ExitCodes.Failure(ErrorCode.BAD_REQUEST, file + " is not a file's name", false);
      }
      return file.resolveSibling("." + name + ".chaos-partial");
    }
  }

  @Command(
      name = "restore",
      mixinStandardHelpOptions = true,
      description = "Restore a guest from a checkpoint image file, into a pooled shell.")
  static final class Restore implements Callable<Integer> {
    @Mixin Connection connection;
    @Spec CommandSpec spec;

    @Option(
        names = {"-p", "--paused"},
        description = "leave the guest paused")
    boolean paused;

    @Option(
        names = {"-e"},
        description = "accepted for xl's sake: chaos-daemon watches its guests itself")
    boolean noWait;

    @Option(
        names = {"-c", "--console"},
        description = "attach to its console once restored")
    boolean console;

    @Option(
        names = {"-n", "--name"},
        paramLabel = "NAME",
        description = "the restored guest's name, instead of the image's")
    String name;

    @Parameters(index = "0", paramLabel = "FILE", description = "the image file to read")
    Path file;

    @Override
    public Integer call() throws IOException, InterruptedException, DaemonClient.Unreachable {
      requireDaemon(connection, "restore");
      InputStream in;
      try {
        in = Files.newInputStream(file);
      } catch (NoSuchFileException e) {
        throw new ExitCodes.Failure(ErrorCode.BAD_REQUEST, file + ": no such file", false);
      } catch (AccessDeniedException e) {
        throw new ExitCodes.Failure(
            ErrorCode.DENIED, "cannot read " + file + ": permission denied", false);
      }
      // The daemon reads FILE itself, with this user's rights, when it can open it; else it asks
      // for the image in frames, and this command sends it.
      Request request =
          new Request.Restore(
              Protocol.VERSION, name, paused, false, file.toAbsolutePath().toString());
      Reply reply;
      try (in;
          DaemonClient.Session session = DaemonClient.connect(connection.socket)) {
        IOException writeFailure = null;
        try {
          Codec.write(session.out, request);
        } catch (IOException e) {
          writeFailure = e; // the daemon refused and closed: its reply says why
        }
        // The final reply once the daemon has read the file; else its request for frames.
        reply = session.readReply(writeFailure);
        if (reply instanceof Reply.SendImage) {
          Progress progress = new Progress(spec.commandLine().getErr(), "restoring " + file);
          try (OutputStream frames = ImageFrames.writer(session.out)) {
            progress.copy(in, frames);
          } catch (IOException e) {
            writeFailure = e; // the daemon refused and closed: its reply says why
          }
          reply = session.readReply(writeFailure);
          if (reply instanceof Reply.Created) {
            progress.done(Files.size(file));
          }
        }
      }
      Output.print(
          reply, connection.json, spec.commandLine().getOut(), spec.commandLine().getErr());
      if (console && reply instanceof Reply.Created created) {
        return ConsoleCommand.attach(connection, Integer.toString(created.domid()), spec);
      }
      return ExitCodes.OK;
    }
  }

  static void requireDaemon(Connection connection, String what) {
    if (connection.direct) {
      throw new ExitCodes.Failure(
          ErrorCode.BAD_REQUEST, what + " needs chaos-daemon: it has no --direct mode", false);
    }
  }

  /** Bytes and rate of a long copy, on a terminal only (a line rewritten every second). */
  static final class Progress {
    private final PrintWriter err;
    private final String what;
    private final boolean shown = System.console() != null;
    private final long start = System.nanoTime();
    private long lastShown = start;

    Progress(PrintWriter err, String what) {
      this.err = err;
      this.what = what;
    }

    /** Copies all of {@code in} to {@code out}; how many bytes. */
    long copy(InputStream in, OutputStream out) throws IOException {
      byte[] buffer = new byte[1 << 20];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        out.write(buffer, 0, n);
        total += n;
        long now = System.nanoTime();
        if (shown && now - lastShown > 1_000_000_000L) {
          lastShown = now;
          err.printf("\r%s: %s", what, amount(total, now));
          err.flush();
        }
      }
      return total;
    }

    /** A reply that takes long to come */
    interface Awaited {
      Reply reply() throws DaemonClient.Unreachable;
    }

    /** How many bytes have gone so far, counted outside this process. */
    interface Count {
      long bytes() throws IOException;
    }

    /**
     * Waits for {@code awaited} while another process moves the bytes {@code count} counts (writes
     * a file: its size), shown as {@link #copy} shows its bytes.
     */
    Reply watch(Count count, Awaited awaited) throws DaemonClient.Unreachable {
      if (!shown) {
        return awaited.reply();
      }
      Thread watcher =
          new Thread(
              () -> {
                try {
                  while (true) {
                    Thread.sleep(1000);
                    long now = System.nanoTime();
                    lastShown = now;
                    err.printf("\r%s: %s", what, amount(count.bytes(), now));
                    err.flush();
                  }
                } catch (InterruptedException | IOException e) {
                  // the reply came, or the file went: nothing more to show
                }
              },
              "progress");
      watcher.setDaemon(true);
      watcher.start();
      try {
        return awaited.reply();
      } finally {
        watcher.interrupt();
        try {
          watcher.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    void done(long total) {
      if (shown && lastShown != start) {
        err.printf("\r%s: %s%n", what, amount(total, System.nanoTime()));
        err.flush();
      }
    }

    /** Bytes and rate; the time alone while none are counted (read by the other side itself). */
    private String amount(long bytes, long now) {
      double seconds = Math.max(1e-3, (now - start) / 1e9);
      if (bytes == 0) {
        return String.format("%.0f s   ", seconds);
      }
      return String.format(
          "%.1f MiB, %.1f MiB/s   ", bytes / 1048576.0, bytes / 1048576.0 / seconds);
    }
  }
}
