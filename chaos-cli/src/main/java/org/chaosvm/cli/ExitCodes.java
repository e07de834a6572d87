package org.chaosvm.cli;

import org.chaosvm.protocol.ErrorCode;
import picocli.CommandLine;

/**
 * The {@code chaos} command's exit codes, fixed and documented (README, docs/protocol.md, the
 * help), and the one place a failure becomes one: subcommands throw, this maps.
 */
public final class ExitCodes implements CommandLine.IExitCodeExceptionMapper {
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
  public static final int TIMED_OUT = 10;

  /** The help's list, in the same words as the README's. */
  static final String[] HELP = {
    "0:ok",
    "1:failure",
    "2:usage",
    "3:config error",
    "4:guest not found",
    "5:daemon unreachable",
    "6:no capacity",
    "7:name exists",
    "8:permission denied (on the daemon's socket, or by the daemon)",
    "9:daemon busy (as many connections as it serves)",
    "10:no reply within --timeout (the request may still take effect)"
  };

  /**
   * A request that failed for {@code code}'s reason: the daemon's error reply, or the command's own
   * finding in the protocol's terms. {@code shown}: the message is printed already (a reply).
   */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final ErrorCode code;
    final boolean shown;

    Failure(ErrorCode code, String message, boolean shown) {
      super(message);
      this.code = code;
      this.shown = shown;
    }
  }

  @Override
  public int getExitCode(Throwable failure) {
    if (failure instanceof Failure f) {
      return of(f.code);
    }
    if (failure instanceof DaemonClient.PermissionDenied) {
      return PERMISSION_DENIED;
    }
    if (failure instanceof DaemonClient.TimedOut) {
      return TIMED_OUT;
    }
    if (failure instanceof DaemonClient.Unreachable) {
      return DAEMON_UNREACHABLE;
    }
    if (failure instanceof CommandLine.ParameterException) {
      return USAGE;
    }
    return FAILURE;
  }

  static int of(ErrorCode code) {
    return switch (code) {
      case CONFIG -> CONFIG;
      case NOT_FOUND -> NOT_FOUND;
      case NO_CAPACITY -> NO_CAPACITY;
      case EXISTS -> EXISTS;
      case BAD_REQUEST -> USAGE;
      case BUSY -> BUSY;
      case DENIED -> PERMISSION_DENIED;
      case WRONG_STATE, XEN, INTERNAL -> FAILURE;
    };
  }
}
