package org.chaosvm.noxs;

/** A request through a guest's control device did not get through: the message says why. */
public final class GuestControlException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  GuestControlException(String message) {
    super(message);
  }
}
