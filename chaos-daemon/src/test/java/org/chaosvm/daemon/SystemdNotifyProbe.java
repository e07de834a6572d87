package org.chaosvm.daemon;

/** A process that sends its argument to systemd, as the daemon does ({@link SystemdNotifyTest}). */
final class SystemdNotifyProbe {
  private SystemdNotifyProbe() {}

  public static void main(String[] args) {
    SystemdNotify.send(args[0]);
  }
}
