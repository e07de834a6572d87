package org.chaosvm.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.chaosvm.protocol.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Setting up the socket's file: no link followed, nothing but a dead socket ever deleted. */
@Timeout(30)
class SocketFileTest {
  @TempDir Path dir;

  private SocketServer start(Path socket) throws IOException {
    return SocketServer.start(
        socket, Optional.empty(), (caller, request) -> new Reply.Guests(List.of()));
  }

  @Test
  void aLinkAtTheSocketsPathIsNeitherFollowedNorRemoved() throws IOException {
    Path precious = Files.writeString(dir.resolve("shadow"), "root:x:0:0\n");
    Path socket = Files.createSymbolicLink(dir.resolve("chaos.sock"), precious);
    IOException refused = assertThrows(IOException.class, () -> start(socket));
    assertTrue(
        refused.getMessage().contains("is not a socket (a symbolic link)"), refused.getMessage());
    assertTrue(Files.isSymbolicLink(socket));
    assertEquals("root:x:0:0\n", Files.readString(precious));
  }

  @Test
  void aRegularFileAtTheSocketsPathIsKept() throws IOException {
    Path socket = Files.writeString(dir.resolve("chaos.sock"), "not a socket\n");
    IOException refused = assertThrows(IOException.class, () -> start(socket));
    assertTrue(refused.getMessage().contains("(a regular file)"), refused.getMessage());
    assertEquals("not a socket\n", Files.readString(socket));
  }

  @Test
  void aDeadDaemonsSocketIsReplaced() throws IOException {
    Path socket = dir.resolve("chaos.sock");
    try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      dead.bind(UnixDomainSocketAddress.of(socket));
    } // closed, its file left behind
    try (SocketServer server = start(socket)) {
      assertTrue(Files.exists(socket));
    }
  }

  @Test
  void aFolderOthersMayWriteIsRefused() throws IOException {
    Path shared = Files.createDirectory(dir.resolve("shared"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
    IOException refused =
        assertThrows(IOException.class, () -> start(shared.resolve("chaos.sock")));
    assertTrue(refused.getMessage().contains("mode 0777"), refused.getMessage());
  }

  @Test
  void aLinkedFolderIsRefused() throws IOException {
    Path real = Files.createDirectory(dir.resolve("real"));
    Path linked = Files.createSymbolicLink(dir.resolve("linked"), real);
    IOException refused =
        assertThrows(IOException.class, () -> start(linked.resolve("chaos.sock")));
    assertTrue(refused.getMessage().contains("is a symbolic link"), refused.getMessage());
    assertTrue(Files.notExists(real.resolve("chaos.sock")));
  }

  @Test
  void aMissingFolderIsMadeForTheDaemonAlone() throws IOException {
    Path socket = dir.resolve("run").resolve("chaos").resolve("chaos.sock");
    try (SocketServer server = start(socket)) {
      assertEquals(
          "rwxr-xr-x",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())));
    }
  }
}
