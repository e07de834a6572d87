package org.chaosvm.daemon.engine;

import java.util.ArrayList;
import java.util.List;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.libxc.XenStore;

/**
 * libxenctrl and libxenstore handles per thread: neither is safe to share between threads, and the
 * pool's refill must not wait for a create (nor a create for the refill). A thread that ends closes
 * its own ({@link #closeThisThread}): the socket server's workers come and go. A thread's XenStore
 * handle is opened at its first use: a daemon without xenstored never opens one.
 */
final class XenHandles implements AutoCloseable {
  private static final class Pair {
    final XenCtrl xc;
    XenStore xs;

    Pair(XenCtrl xc) {
      this.xc = xc;
    }

    void close() {
      if (xs != null) {
        xs.close();
      }
      xc.close();
    }
  }

  private final ThreadLocal<Pair> perThread = new ThreadLocal<>();
  private final List<Pair> opened = new ArrayList<>();

  private Pair get() {
    Pair pair = perThread.get();
    if (pair == null) {
      pair = new Pair(XenCtrl.open());
      perThread.set(pair);
      synchronized (opened) {
        opened.add(pair);
      }
    }
    return pair;
  }

  XenCtrl xc() {
    return get().xc;
  }

  XenStore xs() {
    Pair pair = get();
    if (pair.xs == null) {
      pair.xs = XenStore.open();
    }
    return pair.xs;
  }

  /** Closes the calling thread's handles, if it opened any (a worker that ends). */
  void closeThisThread() {
    Pair pair = perThread.get();
    if (pair == null) {
      return;
    }
    perThread.remove();
    synchronized (opened) {
      opened.remove(pair);
    }
    pair.close();
  }

  @Override
  public void close() {
    synchronized (opened) {
      opened.forEach(Pair::close);
      opened.clear();
    }
  }
}
