package org.chaosvm.daemon.engine;

import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.protocol.ErrorCode;

/** The size of a VM shell: memory (MiB) and vCPUs. Written "MEMORYxVCPUS", e.g. "256x1". */
public record SizeClass(int memoryMib, int vcpus) {
  public SizeClass {
    if (memoryMib < 1 || vcpus < 1) {
      throw new IllegalArgumentException("a size class has at least 1 MiB and 1 vCPU");
    }
  }

  /** The class whose shell fits the guest exactly, as its config asks at most. */
  public static SizeClass of(GuestConfig guest) {
    return new SizeClass(guest.maxMemoryMib(), guest.maxVcpus());
  }

  public static SizeClass parse(String text) {
    String[] parts = text.split("x");
    try {
      if (parts.length == 2) {
        return new SizeClass(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw new ChaosException(
        ErrorCode.BAD_REQUEST, "size class '" + text + "' is not MEMORYxVCPUS, e.g. 256x1");
  }

  @Override
  public String toString() {
    return memoryMib + "x" + vcpus;
  }
}
