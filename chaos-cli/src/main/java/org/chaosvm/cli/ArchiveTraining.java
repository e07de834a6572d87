package org.chaosvm.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;

/**
 * What {@code bin/chaos-archive} runs, with {@code -XX:DumpLoadedClassList}, to list the classes a
 * command loads when it talks to a daemon: the usual commands, each against a stand-in on a
 * temporary socket that answers as a daemon would (a reply of each kind, an error). No Xen, no
 * daemon: only the command's side of the protocol is exercised.
 */
public final class ArchiveTraining {
  private ArchiveTraining() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("chaos-archive");
    Path socket = dir.resolve("training.sock");
    Path config = dir.resolve("vm.cfg");
    Files.writeString(config, "name = \"training\"\nkernel = \"/boot/vmlinuz\"\n");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread standIn = new Thread(() -> answer(server), "stand-in");
      standIn.setDaemon(true);
      standIn.start();
      PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
      String at = "--socket=" + socket;
      for (List<String> command :
          List.of(
              List.of("list", at),
              List.of("list", "--json", at),
              List.of("info", at),
              List.of("create", config.toString(), at),
              List.of("destroy", "training", at),
              List.of("network-list", "training", at),
              List.of("pause", "no-such-guest", at))) {
        Chaos.run(nowhere, nowhere, command.toArray(String[]::new));
      }
    } finally {
      Files.deleteIfExists(socket);
      Files.deleteIfExists(config);
      Files.deleteIfExists(dir);
    }
  }

  private static void answer(ServerSocketChannel server) {
    while (server.isOpen()) {
      try (SocketChannel client = server.accept();
          InputStream in = new BufferedInputStream(Channels.newInputStream(client));
          OutputStream out = Channels.newOutputStream(client)) {
        Optional<byte[]> line = Codec.readLine(in);
        if (line.isPresent()) {
          Codec.write(out, replyTo(Codec.decodeRequest(line.get())));
        }
      } catch (IOException | Codec.MalformedMessage e) {
        // the training goes on: the next command
      }
    }
  }

  private static Reply replyTo(Request request) {
    if (request instanceof Request.ListGuests) {
      return new Reply.Guests(List.of(new Reply.GuestInfo(1, "training", 256, 1, "running", 1.5)));
    } else if (request instanceof Request.Info) {
      return new Reply.HostInfo(4096, 2048, 2, Map.of("256x1", new Reply.PoolClass(1, 1)));
    } else if (request instanceof Request.Create) {
      return new Reply.Created(1, "training", true, Map.of("pool take", 0.1));
    } else if (request instanceof Request.ListDevices) {
      return new Reply.Devices(
          List.of(new Reply.DeviceInfo(0, "vif1.0", 4, 4, Map.of("mac", "00:16:3e:00:00:01"))));
    } else if (request instanceof Request.Pause) {
      return new Reply.Error(ErrorCode.NOT_FOUND, "no chaos guest named no-such-guest");
    }
    return new Reply.Done("done");
  }
}
