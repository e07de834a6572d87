package org.chaosvm.protocol;

/** The kinds of device a guest can have attached and detached, by xl's command names. */
public enum DeviceKind {
  /** A network interface: netfront in the guest, netback and a {@code vifD.N} in Dom0. */
  NETWORK("network", "vif"),
  /** A disk: blkfront in the guest, blkback in Dom0. */
  BLOCK("block", "vbd");

  private final String command;
  private final String xenKind;

  DeviceKind(String command, String xenKind) {
    this.command = command;
    this.xenKind = xenKind;
  }

  /** The prefix of the request's op and the CLI's command: {@code network}, {@code block}. */
  public String command() {
    return command;
  }

  /** The device class in XenStore: {@code vif}, {@code vbd}. */
  public String xenKind() {
    return xenKind;
  }

  static DeviceKind ofCommand(String command) {
    for (DeviceKind kind : values()) {
      if (kind.command.equals(command)) {
        return kind;
      }
    }
    throw new IllegalArgumentException(command);
  }
}
