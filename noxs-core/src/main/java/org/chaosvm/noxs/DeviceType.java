package org.chaosvm.noxs;

/** The kinds of device a device page announces (public/io/noxs.h, {@code NOXS_DEV_*}). */
public enum DeviceType {
  /** Guest control: poweroff, reboot, suspend and crash requests. */
  CONTROL(NoxsAbi.NOXS_DEV_CONTROL),
  /** Reserved: chaos serves noxs guests' consoles through start_info's ring. */
  CONSOLE(NoxsAbi.NOXS_DEV_CONSOLE),
  VIF(NoxsAbi.NOXS_DEV_VIF),
  VBD(NoxsAbi.NOXS_DEV_VBD);

  private final int number;

  DeviceType(int number) {
    this.number = number;
  }

  /** The number in a page's entries. */
  public int number() {
    return number;
  }

  /** The type numbered so; throws for 0 (no device) and for numbers this version does not know. */
  public static DeviceType of(int number) {
    for (DeviceType type : values()) {
      if (type.number == number) {
        return type;
      }
    }
    throw new IllegalArgumentException("not a noxs device type: " + number);
  }
}
