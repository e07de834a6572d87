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
}
