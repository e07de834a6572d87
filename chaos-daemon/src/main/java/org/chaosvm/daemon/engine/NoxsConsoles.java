package org.chaosvm.daemon.engine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 */
final class NoxsConsoles implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NoxsConsoles.class);

  private final Path logDir;
  private final Map<Integer, Console> byPort = new ConcurrentHashMap<>();
  private final Map<DomId, Console> byDomid = new ConcurrentHashMap<>();
  private EventChannels events;
  private ForeignMemory memory;
  private Thread thread;
  private int wakeSend;
  private volatile boolean closed;

  private record Console(DomId domid, String name, ConsoleRing ring, int port, OutputStream log) {}

  NoxsConsoles(Path logDir) {
    this.logDir = logDir;
  }

  Path logFile(String name) {
    return logDir.resolve(name + ".log");
  }

  /**
   * Serves a guest's console: maps its ring ({@code ringFrame}), binds its console channel ({@code
   * guestPort}, the guest's end) and takes what it has written so far. Signals the guest, which
   * wakes it (a restarted daemon's kick: the guest then looks at its device page again).
   */
  synchronized void attach(DomId domid, String name, long ringFrame, int guestPort) {
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
      Files.createDirectories(logDir);
      out =
          Files.newOutputStream(
              logFile(name), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      events.unbind(port);
      ring.close();
      throw new ChaosException(
          org.chaosvm.protocol.ErrorCode.INTERNAL,
          "cannot open " + name + "'s console log in " + logDir + ": " + e.getMessage(),
          e);
    }
    Console console = new Console(domid, name, ring, port, out);
    byPort.put(port, console);
    byDomid.put(domid, console);
    drain(console);
  }

  /** Stops serving a guest's console: unbinds, unmaps, closes its log. */
  synchronized void detach(DomId domid) {
    Console console = byDomid.remove(domid);
    if (console == null) {
      return;
    }
    byPort.remove(console.port());
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
    int wakeReceive = events.bindUnboundPort(DomId.DOM0);
    wakeSend = events.bindInterdomain(DomId.DOM0, wakeReceive);
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
        console.log().write(buffer, 0, taken);
        console.log().flush();
      }
      events.notify(console.port());
    } catch (IOException | RuntimeException e) {
      log.debug("console of {}: {}", console.name(), e.getMessage());
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
