package org.chaosvm.noxs;

import java.time.Duration;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.EventChannels;
import org.chaosvm.libxc.GrantShare;
import org.chaosvm.libxc.SharedPage;
import org.chaosvm.libxc.XenbusState;

/**
 * The back end of one guest's control device ({@code NOXS_DEV_CONTROL}), in Dom0's user space: a
 * page of Dom0's granted to the guest and an event channel, announced in the guest's device page by
 * {@link #entry()}. The guest can write the whole page: each field is read once and checked, and a
 * guest that never answers costs its caller the time limit and nothing more.
 */
public final class ControlDevice implements AutoCloseable {
  private static final long POLL_NANOS = 2_000_000;

  private final DomId guest;
  private final SharedPage page;
  private final EventChannels events;
  private final int port;
  private int requestId;
  private boolean closed;

  private ControlDevice(DomId guest, SharedPage page, EventChannels events, int port) {
    this.guest = guest;
    this.page = page;
    this.events = events;
    this.port = port;
  }

  /**
   * Shares a control page with {@code guest} and allocates its event channel (bound to {@code
   * events}, whose owner drains what the guest sends); the back end waits in InitWait.
   */
  public static ControlDevice create(GrantShare grants, EventChannels events, DomId guest) {
    SharedPage page = grants.share(guest, true);
    try {
      int port = events.bindUnboundPort(guest);
      page.putInt(NoxsLayout.Member.CONTROL_BE_STATE.offset, XenbusState.INIT_WAIT.number());
      return new ControlDevice(guest, page, events, port);
    } catch (RuntimeException e) {
      page.close();
      throw e;
    }
  }

  /** The device page's entry for this device: device 0, back end in Dom0. */
  public DeviceEntry entry() {
    return new DeviceEntry(DeviceType.CONTROL, 0, DomId.DOM0, page.grant(), port);
  }

  public DomId guest() {
    return guest;
  }

  /** The event channel's port in Dom0. */
  public int port() {
    return port;
  }

  /**
   * Sends {@code request} and waits until the guest has taken it (not until it acts on it: a
   * poweroff's shutdown is Xen's to report). Fails if the guest has not connected, does not serve
   * this request, or does not answer within {@code limit}.
   */
  public synchronized void request(ControlRequest request, Duration limit) {
    if (closed) {
      throw new IllegalStateException("the control device of domain " + guest + " is closed");
    }
    int state = page.getInt(NoxsLayout.Member.CONTROL_FE_STATE.offset);
    if (state != XenbusState.CONNECTED.number()) {
      throw new GuestControlException(
          "domain "
              + guest
              + " has not connected its control device (front end state "
              + state
              + "), so it cannot be asked to "
              + request);
    }
    int features = page.getInt(NoxsLayout.Member.CONTROL_FEATURES.offset);
    if ((features & request.featureBit()) == 0) {
      throw new GuestControlException(
          "domain "
              + guest
              + " does not serve "
              + request
              + " requests through its control device");
    }
    page.putInt(NoxsLayout.Member.CONTROL_BE_STATE.offset, XenbusState.CONNECTED.number());
    int id = ++requestId;
    page.putInt(NoxsLayout.Member.CONTROL_REQUEST.offset, request.number());
    page.putInt(NoxsLayout.Member.CONTROL_REQUEST_ID.offset, id);
    events.notify(port);
    long deadline = System.nanoTime() + limit.toNanos();
    while (page.getInt(NoxsLayout.Member.CONTROL_ANSWER_ID.offset) != id) {
      if (System.nanoTime() - deadline > 0) {
        throw new GuestControlException(
            "domain "
                + guest
                + " did not answer the "
                + request
                + " request within "
                + limit.toMillis()
                + " ms");
      }
      sleep();
    }
  }

  private static void sleep() {
    try {
      Thread.sleep(POLL_NANOS / 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GuestControlException("interrupted while waiting for a guest's answer");
    }
  }

  /** Unbinds the event channel and ends the page's share (the guest keeps it until it dies). */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      try {
        events.unbind(port);
      } finally {
        page.close();
      }
    }
  }
}
