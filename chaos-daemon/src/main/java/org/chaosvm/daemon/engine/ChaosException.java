package org.chaosvm.daemon.engine;

import org.chaosvm.protocol.ErrorCode;

/** A request the engine cannot carry out, with the protocol's code for why. */
public final class ChaosException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public ChaosException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public ChaosException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
