package org.chaosvm.daemon.engine;

import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.XenStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Domain events as xenstored gives them. xenstored holds Dom0's binding of VIRQ_DOM_EXC (Xen allows
 * one per domain) and turns it into its {@code @releaseDomain} watch (a domain shut down, crashed
 * or died); {@code @introduceDomain} fires when a toolstack (xl, another chaos) introduces a new
 * domain. One thread waits on both. (A watch also fires once when it is set: the first call comes
 * at start.)
 */
final class XenStoreDomainEvents implements DomainEvents {
  private static final Logger log = LoggerFactory.getLogger(XenStoreDomainEvents.class);
  private static final String RELEASE_DOMAIN = "@releaseDomain";
  private static final String INTRODUCE_DOMAIN = "@introduceDomain";
  private static final String WAKE_TOKEN = "chaos-wake";

  private final XenHandles handles;
  private final String wakePath;
  private Thread thread;
  private volatile boolean closed;

  XenStoreDomainEvents(XenHandles handles) {
    this.handles = handles;
    this.wakePath =
        DomainLayout.domainPath(DomId.DOM0) + "/chaos/wake-" + ProcessHandle.current().pid();
  }

  @Override
  public void start(Runnable onChange) {
    thread = new Thread(() -> run(onChange), "domain-events");
    thread.setDaemon(true);
    thread.start();
  }

  private void run(Runnable onChange) {
    XenStore xs = handles.xs();
    xs.watch(RELEASE_DOMAIN, RELEASE_DOMAIN);
    xs.watch(INTRODUCE_DOMAIN, INTRODUCE_DOMAIN);
    xs.watch(wakePath, WAKE_TOKEN);
    while (!closed) {
      try {
        xs.readWatch();
        if (!closed) {
          onChange.run();
        }
      } catch (RuntimeException e) {
        log.error("handling a domain event failed", e);
      }
    }
    xs.rm(XenStore.NO_TRANSACTION, wakePath);
  }

  @Override
  public void poke() {
    try {
      handles.xs().write(XenStore.NO_TRANSACTION, wakePath, "look");
    } catch (RuntimeException e) {
      log.warn("cannot wake the domain-events thread for another look: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    closed = true;
    if (thread == null) {
      return;
    }
    try {
      handles.xs().write(XenStore.NO_TRANSACTION, wakePath, "stop");
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("cannot wake the domain-events thread: {}", e.getMessage());
    }
  }
}
