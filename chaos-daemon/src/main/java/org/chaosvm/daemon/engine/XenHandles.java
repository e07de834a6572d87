package org.chaosvm.daemon.engine;

import java.util.ArrayList;
import java.util.List;
import org.chaosvm.libxc.XenCtrl;
import org.chaosvm.libxc.XenStore;

/**
 * libxenctrl and libxenstore handles per thread: neither is safe to share between threads, and the
 * pool's refill must not wait for a create (nor a create for the refill). A thread that ends closes
 * its own ({@link #closeThisThread}): the socket server's workers come and go.
 */
final class XenHandles implements AutoCloseable {
  record Pair(XenCtrl xc, XenStore xs) {}

  private final ThreadLocal<Pair> perThread = new ThreadLocal<>();
  private final List<Pair> opened = new ArrayList<>();

  Pair get() {
    Pair pair = perThread.get();
    if (pair == null) {
      XenCtrl xc = XenCtrl.open();
      XenStore xs;
      try {
        xs = XenStore.open();
      } catch (RuntimeException e) {
        xc.close();
        throw e;
      }
      pair = new Pair(xc, xs);
      perThread.set(pair);
      synchronized (opened) {
        opened.add(pair);
      }
    }
    return pair;
  }

  XenCtrl xc() {
    return get().xc();
  }

  XenStore xs() {
    return get().xs();
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
    pair.xs().close();
    pair.xc().close();
  }

  @Override
  public void close() {
    synchronized (opened) {
      for (Pair pair : opened) {
        pair.xs().close();
        pair.xc().close();
      }
      opened.clear();
    }
  }
}
