package org.chaosvm.daemon.engine;

import org.chaosvm.libxc.DomId;

/**
 * Asks a guest's kernel to do something of its own accord: power off, reboot, suspend. The guest
 * may ignore it; what it did is seen in its domain's state. How the request reaches the guest is
 * the implementation's business (today XenStore's {@code control/shutdown}).
 */
interface GuestControl {
  /** What a guest can be asked, by the word the PV protocol uses. */
  enum Request {
    POWEROFF("poweroff"),
    REBOOT("reboot"),
    SUSPEND("suspend");

    private final String word;

    Request(String word) {
      this.word = word;
    }

    String word() {
      return word;
    }
  }

  void ask(DomId domid, Request request);

  /**
   * Takes back a request the guest has not acted on (a suspend it ignored), so that it does not act
   * on it later; nothing where requests are answered at once or not at all.
   */
  default void withdraw(DomId domid, Request request) {}
}
