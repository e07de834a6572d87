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
import org.chaosvm.libxc.ThreadScheduling;
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
 * <p>A create's share is kept small, as each system call of a PV Dom0 costs a fraction of a
 * millisecond under the rig's emulation: the console channel is bound in the prepare phase ({@link
 * #prepare}), the create maps the ring, and the log is opened by the console thread at the guest's
 * first output. That thread runs at nice 10 ({@link ThreadScheduling#BACKGROUND}): a guest's
 * output, which starts as soon as it is unpaused, waits for the create's last steps and reply
 * instead of taking Dom0's CPU from them, and a guest that floods its console gets a small share of
 * a busy Dom0.
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

  /** The console channels bound in the prepare phase (Dom0's ends), until the guest's create. */
  private final Map<DomId, Integer> prepared = new ConcurrentHashMap<>();

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

  /**
   * The console thread's nice value. At nice 10 a woken thread preempts no thread of nice 0 (the
   * daemon's), and still gets about a tenth of a busy CPU.
   */

  /** One guest's console; its log is opened at the first output, under the console's lock. */
  private static final class Console {
    final DomId domid;
    final String name;
    final ConsoleRing ring;
    final int port;
    final List<Client> clients = new CopyOnWriteArrayList<>();
    OutputStream logStream;

    Console(DomId domid, String name, ConsoleRing ring, int port) {
      this.domid = domid;
      this.name = name;
      this.ring = ring;
      this.port = port;
    }
  }

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
   * The prepare phase's share: binds a shell's console channel ({@code guestPort}, the guest's end,
   * made in the prepare phase too), so that the create does not. Nothing comes on it before the
   * shell is built and unpaused.
   */
  void prepare(DomId domid, int guestPort) {
    start();
    Integer previous = prepared.put(domid, events.bindInterdomain(domid, guestPort));
    if (previous != null) {
      unbindQuietly(domid, previous);
    }
  }

  /**
   * Serves a new guest's console, before its first instruction: maps its ring ({@code ringFrame})
   * and takes the channel bound for it in the prepare phase (or binds {@code guestPort}, the
   * guest's end). Nothing is in the ring yet, and the guest needs no signal.
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
    Integer bound = prepared.remove(domid);
    detach(domid);
    int port = bound != null ? bound : events.bindInterdomain(domid, guestPort);
    ConsoleRing ring;
    try {
      ring = memory.mapConsoleRingForBackend(domid, ringFrame);
    } catch (RuntimeException e) {
      unbindQuietly(domid, port);
      throw e;
    }
    Console console = new Console(domid, name, ring, port);
    byPort.put(port, console);
    byDomid.put(domid, console);
    if (running) {
      drain(console); // and signals the guest
    }
  }

  /**
   * Opens a guest's log to append to, at its first output; on failure its output goes to its
   * clients alone, and the failure is logged once.
   */
  private OutputStream openLog(Console console) {
    try {
      return Files.newOutputStream(
          logFile(console.name), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      log.warn("cannot keep {}'s console log in {}: {}", console.name, logDir, e.getMessage());
      return OutputStream.nullOutputStream();
    }
  }

  private void unbindQuietly(DomId domid, int port) {
    try {
      events.unbind(port);
    } catch (XenException e) {
      log.debug("console of domain {}: {}", domid, e.getMessage());
    }
  }

  /** Stops serving a guest's console (or a shell's prepared channel): unbinds, unmaps, closes. */
  synchronized void detach(DomId domid) {
    booting.remove(domid);
    Integer bound = prepared.remove(domid);
    if (bound != null) {
      unbindQuietly(domid, bound);
    }
    Console console = byDomid.remove(domid);
    if (console == null) {
      return;
    }
    byPort.remove(console.port);
    synchronized (console) { // once out of byDomid, it takes no client: see stream
      console.clients.forEach(Client::end);
      unbindQuietly(domid, console.port);
      console.ring.close();
      if (console.logStream != null) {
        try {
          console.logStream.close();
        } catch (IOException e) {
          log.warn("cannot close {}'s console log: {}", console.name, e.getMessage());
        }
        console.logStream = null;
      }
    }
  }

  /** Starts the service (its handles and thread), if it is not running; attach does too. */
  synchronized void start() {
    if (thread != null) {
      return;
    }
    try {
      Files.createDirectories(logDir); // checked now: the logs are opened by the console thread
    } catch (IOException e) {
      throw new ChaosException(
          org.chaosvm.protocol.ErrorCode.INTERNAL,
          "cannot keep the noxs guests' console logs in " + logDir + ": " + e.getMessage(),
          e);
    }
    events = EventChannels.open();
    memory = ForeignMemory.open();
    wakeSend = events.bindLoopback();
    thread = new Thread(this::serve, "noxs-consoles");
    thread.setDaemon(true);
    thread.start();
  }

  private void serve() {
    if (!ThreadScheduling.background()) {
      log.warn("the noxs consoles are served at the daemon's priority");
    }
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
      int taken = console.ring.takeOutput(buffer);
      if (taken > 0) {
        BootWatch boots = booting.remove(console.domid);
        if (boots != null) {
          boots.seen(console.domid);
        }
        if (console.logStream == null) {
          console.logStream = openLog(console);
        }
        console.logStream.write(buffer, 0, taken);
        console.logStream.flush();
        if (!console.clients.isEmpty()) {
          byte[] chunk = Arrays.copyOf(buffer, taken);
          console.clients.forEach(client -> client.offer(chunk));
        }
      }
      events.notify(console.port);
    } catch (IOException | RuntimeException e) {
      log.debug("console of {}: {}", console.name, e.getMessage());
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
      replay = tail(logFile(console.name), REPLAY_BYTES);
      console.clients.add(client);
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
      console.clients.remove(client);
    }
  }

  /** Whether the console is still served (detach takes it out of {@code byDomid} first). */
  private boolean serving(Console console) {
    return byDomid.get(console.domid) == console;
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
          int given = console.ring.giveInput(left);
          events.notify(console.port);
          left = Arrays.copyOfRange(left, given, left.length);
          if (left.length > 0) {
            if (System.nanoTime() > deadline) {
              log.debug("{} takes no input: {} bytes dropped", console.name, left.length);
              break;
            }
            Thread.sleep(10); // the guest has not read its input ring yet
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      log.debug("console client of {}: {}", console.name, e.getMessage());
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
