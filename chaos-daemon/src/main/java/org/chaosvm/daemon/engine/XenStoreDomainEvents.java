package org.chaosvm.daemon.engine;

import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.XenStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hears of guests shutting down, crashing and dying. xenstored holds Dom0's binding of VIRQ_DOM_EXC
 * (Xen allows one per domain) and turns it into its {@code @releaseDomain} watch, which this thread
 * waits on; each firing calls {@code onEvent}, which checks the guests. (A watch also fires once
 * when it is set: the first check comes at start.)
 */
final class Lifecycle implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);
  private static final String RELEASE_DOMAIN = "@releaseDomain";
  private static final String WAKE_TOKEN = "chaos-wake";

  private final XenHandles handles;
  private final Runnable onEvent;
  private final String wakePath;
  private final Thread thread;
  private volatile boolean closed;

  Lifecycle(XenHandles handles, Runnable onEvent) {
    this.handles = handles;
    this.onEvent = onEvent;
    this.wakePath =
        DomainLayout.domainPath(DomId.DOM0) + "/chaos/wake-" + ProcessHandle.current().pid();
    this.thread = new Thread(this::run, "lifecycle");
    this.thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    XenStore xs = handles.xs();
    xs.watch(RELEASE_DOMAIN, RELEASE_DOMAIN);
    xs.watch(wakePath, WAKE_TOKEN);
    while (!closed) {
      try {
        xs.readWatch();
        if (!closed) {
          onEvent.run();
        }
      } catch (RuntimeException e) {
        log.error("lifecycle check failed", e);
      }
    }
    xs.rm(XenStore.NO_TRANSACTION, wakePath);
  }

  @Override
  public void close() {
    closed = true;
    try {
      handles.xs().write(XenStore.NO_TRANSACTION, wakePath, "stop");
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.warn("cannot wake the lifecycle thread: {}", e.getMessage());
    }
  }
}
