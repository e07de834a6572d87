package org.chaosvm.libxc;

/** How Linux schedules the calling thread. */
public final class ThreadScheduling {
  private ThreadScheduling() {}

  /**
   * The nice value of a background thread: on Linux's CFS a woken nice-10 thread preempts no thread
   * at 0, yet it still gets about a tenth of a busy CPU.
   */
  public static final int BACKGROUND = 10;

  /** Sets the calling thread's nice value to {@link #BACKGROUND}; false if Linux refuses. */
  public static boolean background() {
    try {
      nice(BACKGROUND);
      return true;
    } catch (XenException e) {
      return false;
    }
  }

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
