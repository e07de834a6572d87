package org.chaosvm.noxs;

import java.util.Locale;

/** What the toolstack asks of a guest through its control device ({@code NOXS_CONTROL_*}). */
public enum ControlRequest {
  POWEROFF(NoxsAbi.NOXS_CONTROL_POWEROFF),
  REBOOT(NoxsAbi.NOXS_CONTROL_REBOOT),
  SUSPEND(NoxsAbi.NOXS_CONTROL_SUSPEND),
  CRASH(NoxsAbi.NOXS_CONTROL_CRASH);

  private final int number;

  ControlRequest(int number) {
    this.number = number;
  }

  public int number() {
    return number;
  }

  /** Its bit in the page's {@code features}: the front end serves the request. */
  int featureBit() {
    return 1 << number;
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
