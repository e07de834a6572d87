package org.chaosvm.daemon.engine;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.XenStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A second look at the XenStore path of a domain whose nodes chaos removed. xenconsoled sets up a
 * new domain's console from a watch: when it read the console's nodes just before chaos removed
 * them, it writes {@code console/tty} just after, and so brings back {@code /local/domain/N} for a
 * domain that is gone (seen in the rig for a guest destroyed at once after its create). So each
 * removed path is looked at again {@link #LOOKS} later, off the request's path, and removed again
 * if it came back while its domain is gone or dying; at close, the looks still pending are made at
 * once.
 */
final class RemovedDomains implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RemovedDomains.class);

  /** When to look again after a removal: soon, then once more for a busy xenconsoled. */
  static final List<Duration> LOOKS = List.of(Duration.ofSeconds(1), Duration.ofSeconds(10));

  private final XenHandles handles;
  private final ScheduledExecutorService looks = DaemonThreads.scheduler("removed-domains");

  RemovedDomains(XenHandles handles) {
    this.handles = handles;
  }

  /**
   * Starts the looking thread and opens its Xen handles now, not at the first look: a daemon's
   * descriptors are then all open once it is ready (a first look 1 s after a destroy opened seven,
   * which a soak that counts them took for a leak), and no look waits for them.
   */
  void start() {
    looks.execute(handles::xs);
  }

  /** The nodes of {@code domid}, being destroyed, were removed just now. */
  void removed(DomId domid) {
    for (Duration after : LOOKS) {
      looks.schedule(() -> lookAgain(domid), after.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void lookAgain(DomId domid) {
    try {
      if (handles.xc().domainInfo(domid).filter(info -> !info.dying()).isPresent()) {
        return; // not destroyed after all: its nodes are the engine's business
      }
      XenStore xs = handles.xs();
      String path = DomainLayout.domainPath(domid);
      var came = xs.directory(XenStore.NO_TRANSACTION, path);
      if (came.isPresent()) {
        xs.rm(XenStore.NO_TRANSACTION, path);
        log.info(
            "{} was written again after domain {} was removed ({}): removed",
            path,
            domid,
            came.get());
      }
    } catch (RuntimeException e) {
      log.warn("cannot look again at domain {}'s nodes: {}", domid, e.getMessage());
    }
  }

  /** Makes the looks still pending now. */
  @Override
  public void close() {
    for (Runnable pending : looks.shutdownNow()) {
      pending.run();
    }
  }
}
