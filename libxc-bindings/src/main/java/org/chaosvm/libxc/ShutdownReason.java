package org.chaosvm.libxc;

/** Why a domain shut down ({@code SHUTDOWN_*} of xen/sched.h). */
public enum ShutdownReason {
  POWEROFF(XenAbi.SHUTDOWN_poweroff),
  REBOOT(XenAbi.SHUTDOWN_reboot),
  SUSPEND(XenAbi.SHUTDOWN_suspend),
  CRASH(XenAbi.SHUTDOWN_crash),
  WATCHDOG(XenAbi.SHUTDOWN_watchdog),
  SOFT_RESET(XenAbi.SHUTDOWN_soft_reset);

  private final int code;

  ShutdownReason(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  /** The reason with this code; a code Xen 4.17 does not define is rejected. */
  public static ShutdownReason of(int code) {
    for (ShutdownReason reason : values()) {
      if (reason.code == code) {
        return reason;
      }
    }
    throw new IllegalArgumentException("unknown shutdown reason code " + code);
  }
}
