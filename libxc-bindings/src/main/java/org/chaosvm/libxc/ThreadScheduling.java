package org.chaosvm.libxc;

/** How Linux schedules the calling thread. */
public final class ThreadScheduling {
  private ThreadScheduling() {}

  /**
   * Sets the nice value of the calling thread alone, not of its process (Linux keeps one per
   * thread): from 0 to 19, the higher the less of the CPU it gets beside others. A thread may
   * always raise its own; no privilege is needed.
   *
   * @throws XenException with the errno, if Linux refuses
   */
  public static void nice(int nice) {
    if (nice < 0 || nice > 19) {
      throw new IllegalArgumentException("nice " + nice + " is not in 0..19");
    }
    NativeCall.checkNonNegative(
        LibC.runtime(),
        "setpriority(PRIO_PROCESS, this thread, " + nice + ")",
        LibC.lib().setpriority(LinuxAbi.PRIO_PROCESS, 0, nice),
        null);
  }
}
