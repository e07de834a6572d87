package org.chaosvm.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.chaosvm.daemon.engine.Caller;
import org.chaosvm.daemon.engine.RequestHandler;
import org.chaosvm.protocol.Codec;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.GuestRef;
import org.chaosvm.protocol.Protocol;
import org.chaosvm.protocol.Reply;
import org.chaosvm.protocol.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The socket server's bounds, against a stand-in handler (no Xen: this is the server's logic). */
@Timeout(30)
class SocketServerTest {
  private Path dir;
  private Path socket;
  private SocketServer server;
  private final AtomicInteger threadsDone = new AtomicInteger();
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<Caller> callers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<Request> imageRequests = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Answers list at once; holds every info until released; fails a pause as no handler should (a
   * stack overflow); answers an unpause with a reply far larger than a socket's buffer.
   */
  private final RequestHandler handler =
      new RequestHandler() {
        @Override
        public Reply handle(Caller caller, Request request) {
          callers.add(caller);
          if (request instanceof Request.Pause) {
            throw new StackOverflowError();
          }
          if (request instanceof Request.Unpause) {
            return new Reply.Guests(
                Collections.nCopies(100_000, new Reply.GuestInfo(1, "guest", 128, 1, "running")));
          }
          if (request instanceof Request.Info) {
            try {
              release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return new Reply.Guests(List.of());
        }

        /** Reads the image to its end; its read's failure is the reply. */
        @Override
        public Reply handleImage(
            Caller caller, Request request, InputStream fromClient, OutputStream toClient) {
          imageRequests.add(request);
          try {
            fromClient.transferTo(OutputStream.nullOutputStream());
            return new Reply.Guests(List.of());
          } catch (IOException e) {
            return new Reply.Error(ErrorCode.BAD_REQUEST, e.getMessage());
          }
        }

        @Override
        public void threadDone() {
          threadsDone.incrementAndGet();
        }
      };

  @BeforeEach
  void start() throws IOException {
    dir = Files.createTempDirectory("chaos-server");
    socket = dir.resolve("chaos.sock");
  }

  @AfterEach
  void stop() throws IOException {
    release.countDown();
    if (server != null) {
      server.close();
    }
    Files.deleteIfExists(socket);
    Files.delete(dir);
  }

  private void serve(SocketServer.Limits limits) throws IOException {
    server = SocketServer.start(socket, Optional.empty(), handler, limits);
  }

  private SocketChannel connect() throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    return channel;
  }

  /**
   * Sends a request and reads the reply, as the CLI does: a refused connection may be closed before
   * the request is written (EPIPE), with its BUSY reply waiting to be read.
   */
  private static Reply ask(SocketChannel channel, Request request) throws Exception {
    try {
      Codec.write(Channels.newOutputStream(channel), request);
    } catch (IOException e) {
      // the reply, if any, says why
    }
    return read(channel);
  }

  private static Reply read(SocketChannel channel) throws Exception {
    InputStream in = new BufferedInputStream(Channels.newInputStream(channel));
    return Codec.decodeReply(Codec.readLine(in).orElseThrow());
  }

  /** {@code clients} clients one after the other, each asking for the list once. */
  private void listOneByOne(int clients) throws Exception {
    for (int i = 0; i < clients; i++) {
      try (SocketChannel channel = connect()) {
        assertInstanceOf(
            Reply.Guests.class, ask(channel, new Request.ListGuests(Protocol.VERSION)));
      }
    }
  }

  /** Waits (at most 10 s) until a worker has ended. */
  private void awaitAWorkerDone() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (threadsDone.get() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  @Test
  void aConnectionBeyondTheLimitIsToldTheDaemonIsBusyAtOnce() throws Exception {
    serve(new SocketServer.Limits(2, Duration.ofSeconds(20), Duration.ofSeconds(5)));
    List<SocketChannel> held = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      SocketChannel channel = connect();
      Codec.write(Channels.newOutputStream(channel), new Request.Info(Protocol.VERSION));
      held.add(channel);
    }
    Thread.sleep(200); // both are being served
    try (SocketChannel third = connect()) {
      Reply reply = read(third);
      Reply.Error error = assertInstanceOf(Reply.Error.class, reply);
      assertEquals(ErrorCode.BUSY, error.code());
      assertTrue(error.message().contains("2 connections"), error.message());
    }
    release.countDown();
    for (SocketChannel channel : held) {
      assertInstanceOf(Reply.Guests.class, read(channel));
      channel.close();
    }
    // The slots are free again once the workers have seen the clients go.
    assertInstanceOf(Reply.Guests.class, listOnceASlotIsFree());
  }

  @Test
  void aClientThatStopsHalfwayThroughAMessageIsDisconnected() throws Exception {
    serve(new SocketServer.Limits(1, Duration.ofMillis(300), Duration.ofSeconds(5)));
    try (SocketChannel stalled = connect()) {
      stalled.write(java.nio.ByteBuffer.wrap("{\"op\":\"li".getBytes(StandardCharsets.UTF_8)));
      long start = System.nanoTime();
      int read = Channels.newInputStream(stalled).read(); // the server closes it
      assertEquals(-1, read);
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
    }
    // Its worker is free again (once it has unwound: a moment after the close): the only slot
    // serves the next client.
    assertInstanceOf(Reply.Guests.class, listOnceASlotIsFree());
  }

  /**
   * Lists on a new connection, again while the daemon answers BUSY (at most 5 s): a slot is freed a
   * moment after its client has gone, when its worker has seen it go.
   */
  private Reply listOnceASlotIsFree() throws Exception {
    Reply reply = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!(reply instanceof Reply.Guests) && System.nanoTime() < deadline) {
      try (SocketChannel next = connect()) {
        reply = ask(next, new Request.ListGuests(Protocol.VERSION));
      }
      if (reply instanceof Reply.Error error) {
        assertEquals(ErrorCode.BUSY, error.code());
        Thread.sleep(20);
      }
    }
    return reply;
  }

  @Test
  void sequentialClientsAreServedByOneWorker() throws Exception {
    AtomicInteger made = new AtomicInteger();
    server =
        SocketServer.start(
            socket,
            Optional.empty(),
            handler,
            new SocketServer.Limits(8, Duration.ofSeconds(5), Duration.ofSeconds(10)),
            work -> {
              made.incrementAndGet();
              return new Thread(work);
            });
    listOneByOne(50);
    // Each client left before the next came: an idle worker took each (a new one only now and
    // then, when the last had not yet gone back for more; it stays for the next such moment).
    assertTrue(made.get() <= 4, made.get() + " workers for 50 clients one by one");
  }

  @Test
  void aConnectionMayCarryManyRequestsWithinTheIdleLimit() throws Exception {
    serve(new SocketServer.Limits(1, Duration.ofSeconds(2), Duration.ofSeconds(5)));
    try (SocketChannel channel = connect()) {
      for (int i = 0; i < 3; i++) {
        assertInstanceOf(
            Reply.Guests.class, ask(channel, new Request.ListGuests(Protocol.VERSION)));
      }
    }
  }

  @Test
  void idleWorkersEndAndTheHandlerLetsGoOfWhatItHeldForThem() throws Exception {
    serve(new SocketServer.Limits(4, Duration.ofSeconds(5), Duration.ofMillis(100)));
    listOneByOne(10);
    awaitAWorkerDone();
    assertTrue(threadsDone.get() >= 1, "no worker ended");
    assertTrue(threadsDone.get() <= 4, "more workers than connections: " + threadsDone.get());
  }

  @Test
  void aWorkerThatCannotBeStartedCostsOneConnectionNotTheAcceptor() throws Exception {
    AtomicBoolean failed = new AtomicBoolean();
    ThreadFactory failingOnce =
        work -> {
          if (failed.compareAndSet(false, true)) {
            throw new OutOfMemoryError("unable to create native thread: possibly out of memory");
          }
          return new Thread(work);
        };
    server =
        SocketServer.start(
            socket,
            Optional.empty(),
            handler,
            new SocketServer.Limits(4, Duration.ofSeconds(5), Duration.ofSeconds(5)),
            failingOnce);
    try (SocketChannel first = connect()) {
      Reply.Error error =
          assertInstanceOf(Reply.Error.class, ask(first, new Request.ListGuests(Protocol.VERSION)));
      assertEquals(ErrorCode.BUSY, error.code());
    }
    // The acceptor lives on: the next client is served.
    listOneByOne(3);
  }

  @Test
  void aHandlerFailingUnforeseenStillGetsTheRequestAnAnswer() throws Exception {
    serve(new SocketServer.Limits(1, Duration.ofSeconds(5), Duration.ofSeconds(5)));
    try (SocketChannel channel = connect()) {
      Reply reply = ask(channel, new Request.Pause(Protocol.VERSION, new GuestRef("web1")));
      Reply.Error error = assertInstanceOf(Reply.Error.class, reply);
      assertEquals(ErrorCode.INTERNAL, error.code());
      assertTrue(error.message().contains("StackOverflowError"), error.message());
      // and the connection still serves
      assertInstanceOf(Reply.Guests.class, ask(channel, new Request.ListGuests(Protocol.VERSION)));
    }
  }

  @Test
  void aClientThatStopsReadingIsDisconnected() throws Exception {
    serve(new SocketServer.Limits(1, Duration.ofMillis(300), Duration.ofSeconds(5)));
    try (SocketChannel stuck = connect()) {
      Codec.write(
          Channels.newOutputStream(stuck),
          new Request.Unpause(Protocol.VERSION, new GuestRef("web1")));
      // It never reads the reply: its worker gives up on it, and the only slot serves the next.
      assertInstanceOf(Reply.Guests.class, listOnceASlotIsFree());
    }
  }

  @Test
  void aClientThatStopsSendingItsImageIsToldWhyAndFreesItsWorker() throws Exception {
    serve(new SocketServer.Limits(1, Duration.ofMillis(300), Duration.ofSeconds(5)));
    try (SocketChannel stalled = connect()) {
      OutputStream out = Channels.newOutputStream(stalled);
      Codec.write(out, new Request.Restore(Protocol.VERSION, null, false));
      out.write(new byte[] {0, 0, 0, 16, 1, 2, 3}); // a frame begun, never finished
      out.flush();
      Reply.Error error = assertInstanceOf(Reply.Error.class, read(stalled));
      assertEquals("the client sent nothing more within 300 ms", error.message());
    }
    // The only slot is free again.
    assertInstanceOf(Reply.Guests.class, listOnceASlotIsFree());
  }

  /**
   * A relay's connection: its requests, and a migration's image, come from the pipe it names (here
   * a FIFO), its replies go on the connection; its restore names that pipe for the engine to read.
   */
  @Test
  void aRelaysRequestsComeFromThePipeItNames() throws Exception {
    serve(new SocketServer.Limits(1, Duration.ofSeconds(1), Duration.ofSeconds(5)));
    Path fifo = dir.resolve("relay");
    new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
    try {
      relayThrough(fifo);
    } finally {
      Files.delete(fifo);
    }
  }

  private void relayThrough(Path fifo) throws Exception {
    try (java.io.RandomAccessFile writer = new java.io.RandomAccessFile(fifo.toFile(), "rw");
        SocketChannel relay = connect()) {
      Codec.write(
          Channels.newOutputStream(relay), new Request.Relay(Protocol.VERSION, fifo.toString()));
      relay.shutdownOutput(); // as socat does once the request is sent
      InputStream replies = new BufferedInputStream(Channels.newInputStream(relay));
      writer.write(Codec.encode(new Request.ListGuests(Protocol.VERSION)));
      assertInstanceOf(Reply.Guests.class, Codec.decodeReply(Codec.readLine(replies).get()));
      writer.write(
          Codec.encode(new Request.Restore(Protocol.VERSION, null, false, true, null, true)));
      writer.write("the image".getBytes(StandardCharsets.US_ASCII));
      // the stand-in handler reads the image to its end, which the idle limit ends here
      Reply.Error error =
          assertInstanceOf(Reply.Error.class, Codec.decodeReply(Codec.readLine(replies).get()));
      assertEquals(fifo + " sent nothing more within 1 s", error.message());
      assertEquals(
          List.of(new Request.Restore(Protocol.VERSION, null, false, true, fifo.toString(), true)),
          imageRequests);
    }
  }

  @Test
  void aRelayThatNamesNoPipeOrComesSecondIsRefused() throws Exception {
    // two slots: the refused connection's may not be free yet when the next one comes
    serve(new SocketServer.Limits(2, Duration.ofSeconds(5), Duration.ofSeconds(5)));
    Path file = Files.writeString(dir.resolve("file"), "not a pipe\n");
    try {
      try (SocketChannel relay = connect()) {
        Reply.Error error =
            assertInstanceOf(
                Reply.Error.class,
                ask(relay, new Request.Relay(Protocol.VERSION, file.toString())));
        assertEquals(ErrorCode.BAD_REQUEST, error.code());
        assertEquals(
            "the relay's input " + file + " is not a pipe (a relay names its standard input)",
            error.message());
      }
      try (SocketChannel relay = connect()) {
        assertInstanceOf(Reply.Guests.class, ask(relay, new Request.ListGuests(Protocol.VERSION)));
        Reply.Error error =
            assertInstanceOf(
                Reply.Error.class,
                ask(relay, new Request.Relay(Protocol.VERSION, "/proc/self/fd/0")));
        assertEquals("relay must be its connection's first request", error.message());
      }
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void theCallerIsTheUserTheKernelSaysIsAtTheOtherEnd() throws Exception {
    serve(new SocketServer.Limits(1, Duration.ofSeconds(5), Duration.ofSeconds(5)));
    listOneByOne(1);
    assertEquals(1, callers.size());
    assertEquals(System.getProperty("user.name"), callers.get(0).name());
    assertEquals(
        System.getProperty("user.name").equals("root"), callers.get(0).isRoot(), "root is root");
  }

  @Test
  void oneUsersConnectionsAreCappedRootsAreNot() throws Exception {
    // the test runs as root, whose connections count against the server's limit alone
    serve(new SocketServer.Limits(3, 1, Duration.ofSeconds(20), Duration.ofSeconds(5)));
    List<SocketChannel> held = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      SocketChannel channel = connect();
      Codec.write(Channels.newOutputStream(channel), new Request.Info(Protocol.VERSION));
      held.add(channel);
    }
    Thread.sleep(200);
    try (SocketChannel third = connect()) {
      assertInstanceOf(Reply.Guests.class, ask(third, new Request.ListGuests(Protocol.VERSION)));
    }
    release.countDown();
    for (SocketChannel channel : held) {
      channel.close();
    }
  }
}
