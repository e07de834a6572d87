package org.chaosvm.daemon.engine;

import org.chaosvm.libxc.DomId;

/** Guest control as Linux and Mini-OS read it: the word written to the guest's control/shutdown. */
final class XenStoreGuestControl implements GuestControl {
  private final XenHandles handles;

  XenStoreGuestControl(XenHandles handles) {
    this.handles = handles;
  }

  @Override
  public void ask(DomId domid, Request request) {
    DomainLayout.requestShutdown(handles.xs(), domid, request.word());
  }

  /** Clears control/shutdown if the request is still there (the guest clears it when it acts). */
  @Override
  public void withdraw(DomId domid, Request request) {
    handles
        .xs()
        .inTransaction(
            t -> {
              String node = DomainLayout.domainPath(domid) + "/control/shutdown";
              if (handles.xs().read(t, node).filter(request.word()::equals).isPresent()) {
                handles.xs().write(t, node, "");
              }
              return null;
            });
  }
}
