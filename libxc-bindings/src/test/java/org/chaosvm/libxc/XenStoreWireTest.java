package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wire protocol's framing and pipelining, against a scripted stand-in for xenstored on a Unix
 * socket (the messages as docs/misc/xenstore.txt gives them). That XenStore itself answers so is
 * shown in the rig, where every daemon test's nodes go through this connection.
 */
@Timeout(20)
class XenStoreWireTest {
  @TempDir Path dir;

  private ServerSocketChannel server;
  private XenStoreWire wire;

  /** One message as xenstored reads it. */
  record Message(int type, int request, int transaction, byte[] payload) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  /** What the stand-in does once connected: reads requests and sends answers. */
  interface Script {
    void run(SocketChannel client) throws IOException;
  }

  private CompletableFuture<Void> serve(Script script) throws IOException {
    Path socket = dir.resolve("socket");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    CompletableFuture<Void> done =
        CompletableFuture.runAsync(
            () -> {
              try (SocketChannel client = server.accept()) {
                script.run(client);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    wire = XenStoreWire.connect(socket).orElseThrow();
    return done;
  }

  @AfterEach
  void close() throws IOException {
    if (wire != null) {
      wire.close();
    }
    if (server != null) {
      server.close();
    }
  }

  static Message receive(SocketChannel client) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
    fill(client, header);
    header.flip();
    int type = header.getInt();
    int request = header.getInt();
    int transaction = header.getInt();
    ByteBuffer payload = ByteBuffer.allocate(header.getInt());
    fill(client, payload);
    return new Message(type, request, transaction, payload.array());
  }

  static void fill(SocketChannel client, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      if (client.read(buffer) < 0) {
        throw new EOFException();
      }
    }
  }

  static void answer(SocketChannel client, Message to, int type, String payload)
      throws IOException {
    byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
    ByteBuffer message = ByteBuffer.allocate(16 + bytes.length).order(ByteOrder.nativeOrder());
    message.putInt(type).putInt(to.request()).putInt(to.transaction()).putInt(bytes.length);
    message.put(bytes).flip();
    while (message.hasRemaining()) {
      client.write(message);
    }
  }

  static void ok(SocketChannel client, Message to) throws IOException {
    answer(client, to, to.type(), "OK\0");
  }

  /** Receives the transaction's start and answers it with the id {@code transaction}. */
  static Message started(SocketChannel client, int transaction) throws IOException {
    Message start = receive(client);
    answer(client, start, XenAbi.XS_TRANSACTION_START, transaction + "\0");
    return start;
  }

  @Test
  void writesGoOutTogetherAndAreAnsweredBeforeTheCommit() throws Exception {
    List<Message> seen = new ArrayList<>();
    CompletableFuture<Void> done =
        serve(
            client -> {
              seen.add(started(client, 7));
              // All three arrive before any is answered: a client that waited for each answer
              // would never send the second.
              List<Message> writes = List.of(receive(client), receive(client), receive(client));
              seen.addAll(writes);
              for (Message write : writes) {
                ok(client, write);
              }
              Message end = receive(client);
              seen.add(end);
              ok(client, end);
            });
    int transaction = wire.start();
    wire.mkdir(transaction, "/local/domain/5");
    wire.write(transaction, "/local/domain/5/name", "web1".getBytes(StandardCharsets.UTF_8));
    wire.setPermissions(
        transaction,
        "/local/domain/5",
        List.of(
            new XsPermission(DomId.DOM0, XsPermission.Access.NONE),
            new XsPermission(DomId.of(5), XsPermission.Access.READ)));
    assertTrue(wire.commit(transaction));
    done.get(10, TimeUnit.SECONDS);

    assertEquals(
        List.of(
            XenAbi.XS_TRANSACTION_START,
            XenAbi.XS_MKDIR,
            XenAbi.XS_WRITE,
            XenAbi.XS_SET_PERMS,
            XenAbi.XS_TRANSACTION_END),
        seen.stream().map(Message::type).toList());
    assertEquals(7, transaction);
    assertEquals(0, seen.get(0).transaction());
    assertTrue(seen.subList(1, 5).stream().allMatch(m -> m.transaction() == 7));
    assertEquals("/local/domain/5/name\0web1", seen.get(2).text());
    assertEquals("/local/domain/5\0n0\0r5\0", seen.get(3).text());
    assertEquals("T\0", seen.get(4).text());
  }

  @Test
  void aFailedWriteIsThrownAtTheCommitWithItsPathAndNothingIsCommitted() throws Exception {
    List<String> ends = new ArrayList<>();
    CompletableFuture<Void> done =
        serve(
            client -> {
              started(client, 3);
              Message first = receive(client);
              Message second = receive(client);
              ok(client, first);
              answer(client, second, XenAbi.XS_ERROR, "EACCES\0");
              Message end = receive(client);
              ends.add(end.text());
              ok(client, end);
            });
    int transaction = wire.start();
    wire.write(transaction, "/a", "1".getBytes(StandardCharsets.UTF_8));
    wire.write(transaction, "/local/domain/0/b", "2".getBytes(StandardCharsets.UTF_8));
    XenException failure = assertThrows(XenException.class, () -> wire.commit(transaction));
    assertEquals("XS_WRITE", failure.function());
    assertEquals(Errno.EACCES, failure.errno());
    assertTrue(failure.getMessage().contains("/local/domain/0/b"), failure.getMessage());
    wire.abort(transaction);
    done.get(10, TimeUnit.SECONDS);
    assertEquals(List.of("F\0"), ends);
  }

  @Test
  void aReadWaitsForTheQueuedAnswersAndMissingNodesAreEmpty() throws Exception {
    CompletableFuture<Void> done =
        serve(
            client -> {
              Message rm = receive(client);
              Message read = receive(client);
              answer(client, rm, XenAbi.XS_ERROR, "ENOENT\0"); // removing a missing node
              answer(client, read, XenAbi.XS_READ, "value"); // no NUL after a value
              Message missing = receive(client);
              answer(client, missing, XenAbi.XS_ERROR, "ENOENT\0");
              Message directory = receive(client);
              answer(client, directory, XenAbi.XS_DIRECTORY, "backend\0device\0");
              Message end = receive(client);
              answer(client, end, XenAbi.XS_ERROR, "EAGAIN\0");
            });
    wire.rm(1, "/gone");
    assertEquals("value", new String(wire.read(1, "/there").orElseThrow(), StandardCharsets.UTF_8));
    assertEquals(Optional.empty(), wire.read(1, "/missing"));
    assertEquals(List.of("backend", "device"), wire.directory(1, "/local/domain/5").orElseThrow());
    assertFalse(wire.commit(1), "EAGAIN: run the transaction again");
    done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void manyWritesAreSentInRoundsThatXenstoredWillRead() throws Exception {
    int writes = XenStoreWire.MAX_QUEUED * 2 + 3;
    CompletableFuture<Void> done =
        serve(
            client -> {
              for (int answered = 0; answered < writes; ) {
                List<Message> round = new ArrayList<>();
                int size = Math.min(XenStoreWire.MAX_QUEUED, writes - answered);
                for (int i = 0; i < size; i++) {
                  round.add(receive(client));
                }
                for (Message write : round) {
                  ok(client, write);
                }
                answered += size;
              }
              Message end = receive(client);
              ok(client, end);
            });
    for (int i = 0; i < writes; i++) {
      wire.write(2, "/n" + i, new byte[0]);
    }
    assertTrue(wire.commit(2));
    done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aClosedConnectionIsAnErrorAndTheConnectionIsDone() throws Exception {
    CompletableFuture<Void> done = serve(client -> receive(client));
    XenException failure = assertThrows(XenException.class, wire::start);
    assertEquals(Errno.EIO, failure.errno());
    assertFalse(wire.isOpen());
    done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void anInterruptedThreadStillGetsItsAnswersAndKeepsItsInterrupt() throws Exception {
    CompletableFuture<Void> done =
        serve(
            client -> {
              started(client, 4);
              Message write = receive(client);
              ok(client, write);
              Message end = receive(client);
              ok(client, end);
            });
    Thread.currentThread().interrupt(); // as a stopping daemon's workers are
    try {
      int transaction = wire.start();
      wire.write(transaction, "/a", new byte[] {'1'});
      assertTrue(wire.commit(transaction));
      assertTrue(wire.isOpen());
    } finally {
      assertTrue(Thread.interrupted(), "the interrupt is kept for the thread's own checks");
    }
    done.get(10, TimeUnit.SECONDS);
  }

  @Test
  void nothingListeningIsNoConnection() {
    assertTrue(XenStoreWire.connect(dir.resolve("none")).isEmpty());
  }

  @Test
  void permissionsReadAsXenstoredWritesThem() {
    assertEquals(
        new XsPermission(DomId.of(12), XsPermission.Access.BOTH),
        XenStoreWire.parsePermission("b12"));
    assertEquals("w3", XenStoreWire.formatPermission(XenStoreWire.parsePermission("w3")));
    assertThrows(XenException.class, () -> XenStoreWire.parsePermission("x1"));
    assertThrows(XenException.class, () -> XenStoreWire.parsePermission("r"));
  }
}
