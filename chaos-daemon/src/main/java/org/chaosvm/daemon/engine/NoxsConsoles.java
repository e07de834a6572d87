package org.chaosvm.daemon.engine;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.chaosvm.libxc.ConsoleRing;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.EventChannels;
import org.chaosvm.libxc.ForeignMemory;
import org.chaosvm.libxc.XenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PV console back end of noxs guests, which xenconsoled does not serve (it finds guests through
 * XenStore): each guest's ring, the page the domain builder set up (start_info's console), is
 * mapped, its event channel bound, and its output appended to {@code LOG_DIR/NAME.log}. One thread
 * serves every console; it wakes on any console's event (or on a loopback channel of its own, to
 * stop). A guest can write any index of its ring: at most a ring's worth is taken per event.
 *
 * <p>Clients ({@code chaos console}) attach through the daemon's socket: each gets the log's last
 * {@link #REPLAY_BYTES}, then the output as it comes, through a bounded queue of its own (a client
 * that does not read loses output, never holds the guest or the other consoles up: the log keeps
 * all), and its bytes go to the guest's input ring.
 */
final class NoxsConsoles implements AutoCloseable, GuestConsole {
  private static final Logger log = LoggerFactory.getLogger(NoxsConsoles.class);

  private final Path logDir;
  private final Map<Integer, Console> byPort = new ConcurrentHashMap<>();
  private final Map<DomId, Console> byDomid = new ConcurrentHashMap<>();

  /** The guests whose boot is timed, until their first output: told to these. */
  private final Map<DomId, BootWatch> booting = new ConcurrentHashMap<>();

  private EventChannels events;
  private ForeignMemory memory;
  private Thread thread;
  private int wakeSend;
  private volatile boolean closed;

  /** How much of its log a client is shown first: about a screenful or more. */
  static final int REPLAY_BYTES = 16 * 1024;

  /** Output chunks queued for a client, at most. */
  private static final int CLIENT_QUEUE = 256;

  /** How long a client's input may wait for room in the guest's input ring. */
  private static final long INPUT_WAIT_MS = 2000;

  private record Console(
      DomId domid,
      String name,
      ConsoleRing ring,
      int port,
      OutputStream log,
      List<Client> clients) {}

  /** A client's queue of output; {@link #END} ends its stream. */
  private static final class Client {
    static final byte[] END = new byte[0];
    final BlockingQueue<byte[]> output = new ArrayBlockingQueue<>(CLIENT_QUEUE);

    void offer(byte[] chunk) {
      output.offer(chunk); // a full queue: this client misses the chunk
    }

    void end() {
      while (!output.offer(END)) {
        output.poll();
      }
    }
  }

  NoxsConsoles(Path logDir) {
    this.logDir = logDir;
  }

  Path logFile(String name) {
    return logDir.resolve(name + ".log");
  }

  /**
   * Serves a new guest's console, before its first instruction: maps its ring ({@code ringFrame})
   * and binds its console channel ({@code guestPort}, the guest's end). Nothing is in the ring yet,
   * and the guest needs no signal.
   */
  void attach(DomId domid, String name, long ringFrame, int guestPort) {
    attach(domid, name, ringFrame, guestPort, false);
  }

  /**
   * Serves an adopted guest's console again ({@link #attach}), takes what it wrote meanwhile and
   * signals it, which wakes it (a restarted daemon's kick: the guest then looks at its device page
   * again).
   */
  void reattach(DomId domid, String name, long ringFrame, int guestPort) {
    attach(domid, name, ringFrame, guestPort, true);
  }

  private synchronized void attach(
      DomId domid, String name, long ringFrame, int guestPort, boolean running) {
    start();
    detach(domid);
    ConsoleRing ring = memory.mapConsoleRingForBackend(domid, ringFrame);
    int port;
    try {
      port = events.bindInterdomain(domid, guestPort);
    } catch (RuntimeException e) {
      ring.close();
      throw e;
    }
    OutputStream out;
    try {
      out = openLog(name);
    } catch (IOException e) {
      events.unbind(port);
      ring.close();
      throw new ChaosException(
          org.chaosvm.protocol.ErrorCode.INTERNAL,
          "cannot open " + name + "'s console log in " + logDir + ": " + e.getMessage(),
          e);
    }
    Console console = new Console(domid, name, ring, port, out, new CopyOnWriteArrayList<>());
    byPort.put(port, console);
    byDomid.put(domid, console);
    if (running) {
      drain(console); // and signals the guest
    }
  }

  /**
   * A guest's log, to append to; its folder is made when it is missing, not looked for each time.
   */
  private OutputStream openLog(String name) throws IOException {
    try {
      return Files.newOutputStream(
          logFile(name), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (NoSuchFileException e) {
      Files.createDirectories(logDir);
      return Files.newOutputStream(
          logFile(name), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  /** Stops serving a guest's console: unbinds, unmaps, closes its log. */
  synchronized void detach(DomId domid) {
    booting.remove(domid);
    Console console = byDomid.remove(domid);
    if (console == null) {
      return;
    }
    byPort.remove(console.port());
    synchronized (console) { // once out of byDomid, it takes no client: see stream
      console.clients().forEach(Client::end);
    }
    try {
      events.unbind(console.port());
    } catch (XenException e) {
      log.debug("console of domain {}: {}", domid, e.getMessage());
    }
    console.ring().close();
    try {
      console.log().close();
    } catch (IOException e) {
      log.warn("cannot close {}'s console log: {}", console.name(), e.getMessage());
    }
  }

  /** Starts the service (its handles and thread), if it is not running; attach does too. */
  synchronized void start() {
    if (thread != null) {
      return;
    }
    events = EventChannels.open();
    memory = ForeignMemory.open();
    wakeSend = events.bindLoopback();
    thread = new Thread(this::serve, "noxs-consoles");
    thread.setDaemon(true);
    thread.start();
  }

  private void serve() {
    byte[] buffer = new byte[4096];
    while (!closed) {
      int port;
      try {
        port = events.awaitPending();
      } catch (RuntimeException e) {
        if (!closed) {
          log.error("noxs consoles stop: {}", e.getMessage());
        }
        return;
      }
      Console console = byPort.get(port);
      if (console != null) {
        drain(console, buffer);
      }
      try {
        events.unmask(port);
      } catch (RuntimeException e) {
        log.debug("cannot unmask port {}: {}", port, e.getMessage());
      }
    }
  }

  private void drain(Console console) {
    drain(console, new byte[4096]);
  }

  private void drain(Console console, byte[] buffer) {
    synchronized (console) {
      drainLocked(console, buffer);
    }
  }

  private void drainLocked(Console console, byte[] buffer) {
    try {
      int taken = console.ring().takeOutput(buffer);
      if (taken > 0) {
        BootWatch boots = booting.remove(console.domid());
        if (boots != null) {
          boots.seen(console.domid());
        }
        console.log().write(buffer, 0, taken);
        console.log().flush();
        if (!console.clients().isEmpty()) {
          byte[] chunk = Arrays.copyOf(buffer, taken);
          console.clients().forEach(client -> client.offer(chunk));
        }
      }
      events.notify(console.port());
    } catch (IOException | RuntimeException e) {
      log.debug("console of {}: {}", console.name(), e.getMessage());
    }
  }

  @Override
  public boolean streamed() {
    return true;
  }

  /** The time of the guest's first output is this service's to tell: it takes every output. */
  @Override
  public void watchBoot(
      BootWatch boots,
      DomId domid,
      long consoleFrame,
      long startNanos,
      Optional<String> bootloader) {
    boots.expect(domid, startNanos, bootloader);
    booting.put(domid, boots);
  }

  @Override
  public void stream(DomId domid, InputStream fromClient, OutputStream toClient)
      throws IOException {
    Console console = byDomid.get(domid);
    if (console == null) {
      return; // gone since the reply: closing the connection says so
    }
    Client client = new Client();
    byte[] replay;
    synchronized (console) {
      if (!serving(console)) {
        return; // detached meanwhile
      }
      replay = tail(logFile(console.name()), REPLAY_BYTES);
      console.clients().add(client);
    }
    Thread input = new Thread(() -> feed(console, fromClient, client), "console-in-" + domid);
    input.setDaemon(true);
    input.start();
    try {
      toClient.write(replay);
      toClient.flush();
      while (true) {
        byte[] chunk = client.output.take();
        if (chunk == Client.END) {
          return;
        }
        toClient.write(chunk);
        toClient.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      console.clients().remove(client);
    }
  }

  /** Whether the console is still served (detach takes it out of {@code byDomid} first). */
  private boolean serving(Console console) {
    return byDomid.get(console.domid()) == console;
  }

  /** A client's bytes to the guest's input ring, until the client's end of stream. */
  private void feed(Console console, InputStream fromClient, Client client) {
    byte[] buffer = new byte[1024];
    try {
      int read;
      while ((read = fromClient.read(buffer)) > 0) {
        byte[] left = Arrays.copyOf(buffer, read);
        long deadline = System.nanoTime() + INPUT_WAIT_MS * 1_000_000;
        while (left.length > 0 && serving(console)) {
          int given = console.ring().giveInput(left);
          events.notify(console.port());
          left = Arrays.copyOfRange(left, given, left.length);
          if (left.length > 0) {
            if (System.nanoTime() > deadline) {
              log.debug("{} takes no input: {} bytes dropped", console.name(), left.length);
              break;
            }
            Thread.sleep(10); // the guest has not read its input ring yet
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("console client of {}: {}", console.name(), e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    client.end();
  }

  /** The last {@code limit} bytes of a file, from a line's start; none if it is missing. */
  static byte[] tail(Path file, int limit) throws IOException {
    try (SeekableByteChannel channel = Files.newByteChannel(file)) {
      long size = channel.size();
      long start = Math.max(0, size - limit);
      ByteBuffer buffer = ByteBuffer.allocate((int) (size - start));
      channel.position(start);
      while (buffer.hasRemaining() && channel.read(buffer) > 0) {
        // read on
      }
      byte[] bytes = Arrays.copyOf(buffer.array(), buffer.position());
      if (start == 0) {
        return bytes;
      }
      int newline = 0;
      while (newline < bytes.length && bytes[newline] != '\n') {
        newline++;
      }
      return Arrays.copyOfRange(bytes, Math.min(bytes.length, newline + 1), bytes.length);
    } catch (NoSuchFileException e) {
      return new byte[0];
    }
  }

  @Override
  public synchronized void close() {
    if (thread == null) {
      return;
    }
    closed = true;
    events.notify(wakeSend);
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (DomId domid : byDomid.keySet()) {
      detach(domid);
    }
    events.close();
    memory.close();
    thread = null;
  }
}
