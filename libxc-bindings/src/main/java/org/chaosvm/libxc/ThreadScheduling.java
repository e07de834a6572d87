package org.chaosvm.libxc;

/** How Linux schedules the calling thread. */
public final class ThreadScheduling {
  private ThreadScheduling() {}

  /**
   * Moves the calling thread (alone, not its process) to Linux's {@code SCHED_IDLE} class: it runs
   * when no other thread wants the CPU, and its wake-ups never preempt one that runs. A thread may
   * always lower itself so; no privilege is needed.
   *
   * @throws XenException with the errno, if Linux refuses
   */
  public static void idle() {
    NativeCall.checkNonNegative(
        LibC.runtime(),
        "sched_setscheduler(SCHED_IDLE)",
        LibC.lib().sched_setscheduler(0, LinuxAbi.SCHED_IDLE, new int[] {0}),
        null);
  }
}
