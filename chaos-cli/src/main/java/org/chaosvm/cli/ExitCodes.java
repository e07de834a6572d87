package org.chaosvm.cli;

import org.chaosvm.protocol.ErrorCode;

/** The {@code chaos} command's exit codes: fixed, documented in the README. */
public final class ExitCodes {
  public static final int OK = 0;
  public static final int FAILURE = 1;
  public static final int USAGE = 2;
  public static final int CONFIG = 3;
  public static final int NOT_FOUND = 4;
  public static final int DAEMON_UNREACHABLE = 5;
  public static final int NO_CAPACITY = 6;
  public static final int EXISTS = 7;
  public static final int PERMISSION_DENIED = 8;
  public static final int BUSY = 9;

  private ExitCodes() {}

  static int of(ErrorCode code) {
    return switch (code) {
      case CONFIG -> CONFIG;
      case NOT_FOUND -> NOT_FOUND;
      case NO_CAPACITY -> NO_CAPACITY;
      case EXISTS -> EXISTS;
      case BAD_REQUEST -> USAGE;
      case BUSY -> BUSY;
      case WRONG_STATE, XEN, INTERNAL -> FAILURE;
    };
  }
}
