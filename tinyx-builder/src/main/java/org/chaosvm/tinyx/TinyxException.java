package org.chaosvm.tinyx;

/** A build that failed: names the step that failed and the cause. */
public final class TinyxException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String step;

  public TinyxException(String step, String message, Throwable cause) {
    super(step + ": " + message, cause);
    this.step = step;
  }

  public String step() {
    return step;
  }
}
