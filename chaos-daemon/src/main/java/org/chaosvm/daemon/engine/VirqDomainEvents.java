package org.chaosvm.daemon.engine;

import org.chaosvm.libxc.Errno;
import org.chaosvm.libxc.EventChannels;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Domain events on a Dom0 without xenstored: the daemon binds VIRQ_DOM_EXC itself (Xen fires it
 * when a domain shuts down, crashes or dies; it allows one binding, which xenstored holds when it
 * runs). One thread waits on it, and on a loopback channel of its own to stop.
 */
final class VirqDomainEvents implements DomainEvents {
  private static final Logger log = LoggerFactory.getLogger(VirqDomainEvents.class);

  private final EventChannels events;
  private final int virqPort;
  private final int wakeSend;
  private Thread thread;
  private volatile boolean closed;

  /** Binds VIRQ_DOM_EXC now, so that a Dom0 where xenstored holds it is refused at start. */
  VirqDomainEvents() {
    events = EventChannels.open();
    try {
      virqPort = events.bindDomainExceptionVirq();
    } catch (XenException e) {
      events.close();
      if (e.errno() == Errno.EEXIST || e.errno() == Errno.EBUSY) {
        throw new ChaosException(
            ErrorCode.XEN,
            "VIRQ_DOM_EXC is bound already, by xenstored most likely: --no-xenstore is for a Dom0"
                + " where xenstored does not run ("
                + e.getMessage()
                + ")",
            e);
      }
      throw e;
    }
    wakeSend = events.bindLoopback();
  }

  @Override
  public void start(Runnable onChange) {
    thread = new Thread(() -> run(onChange), "domain-events");
    thread.setDaemon(true);
    thread.start();
  }

  private void run(Runnable onChange) {
    while (!closed) {
      try {
        onChange.run(); // once at start, then after each event
      } catch (RuntimeException e) {
        log.error("handling a domain event failed", e);
      }
      try {
        int port = events.awaitPending();
        events.unmask(port);
        if (port != virqPort && !closed) {
          log.debug("domain events: port {} fired", port);
        }
      } catch (RuntimeException e) {
        if (!closed) {
          log.error("domain events stop: {}", e.getMessage());
        }
        return;
      }
    }
  }

  @Override
  public void poke() {
    try {
      if (!closed) {
        events.notify(wakeSend);
      }
    } catch (RuntimeException e) {
      log.warn("cannot wake the domain-events thread for another look: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    closed = true;
    if (thread != null) {
      events.notify(wakeSend);
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    events.close();
  }
}
