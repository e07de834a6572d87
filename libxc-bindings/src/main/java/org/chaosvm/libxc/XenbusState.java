package org.chaosvm.libxc;

import java.util.Optional;

/** {@code enum xenbus_state} of xen/io/xenbus.h: where a split device's end is in its handshake. */
public enum XenbusState {
  UNKNOWN,
  INITIALISING,
  INIT_WAIT,
  INITIALISED,
  CONNECTED,
  CLOSING,
  CLOSED,
  RECONFIGURING,
  RECONFIGURED;

  /** The number written in a {@code state} node. */
  public int number() {
    return ordinal();
  }

  /** The state a {@code state} node holds; empty when it holds no state. */
  public static Optional<XenbusState> parse(String node) {
    try {
      int number = Integer.parseInt(node.strip());
      return number >= 0 && number < values().length
          ? Optional.of(values()[number])
          : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
