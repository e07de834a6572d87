package org.chaosvm.daemon.engine;

import java.util.Optional;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.protocol.ErrorCode;

/**
 * The kind of a VM shell: memory (MiB), vCPUs and the device mechanism its devices are pre-plugged
 * for. Written "MEMORYxVCPUS" for XenStore shells, e.g. "256x1", and "MEMORYxVCPUS:noxs" for noxs
 * shells.
 */
public record SizeClass(int memoryMib, int vcpus, DeviceMechanism devices) {
  public SizeClass {
    if (memoryMib < 1 || vcpus < 1) {
      throw new IllegalArgumentException("a size class has at least 1 MiB and 1 vCPU");
    }
  }

  /** A XenStore shell's class. */
  public SizeClass(int memoryMib, int vcpus) {
    this(memoryMib, vcpus, DeviceMechanism.XENSTORE);
  }

  /** The class whose shell fits the guest exactly, as its config asks at most. */
  public static SizeClass of(GuestConfig guest, DeviceMechanism devices) {
    return new SizeClass(guest.maxMemoryMib(), guest.maxVcpus(), devices);
  }

  public static SizeClass parse(String text) {
    String size = text;
    DeviceMechanism devices = DeviceMechanism.XENSTORE;
    int colon = text.indexOf(':');
    if (colon >= 0) {
      size = text.substring(0, colon);
      Optional<DeviceMechanism> named = DeviceMechanism.parse(text.substring(colon + 1));
      if (named.isEmpty()) {
        throw invalid(text);
      }
      devices = named.get();
    }
    String[] parts = size.split("x");
    try {
      if (parts.length == 2) {
        return new SizeClass(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), devices);
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw invalid(text);
  }

  private static ChaosException invalid(String text) {
    return new ChaosException(
        ErrorCode.BAD_REQUEST,
        "size class '" + text + "' is not MEMORYxVCPUS[:noxs], e.g. 256x1 or 4x1:noxs");
  }

  @Override
  public String toString() {
    String size = memoryMib + "x" + vcpus;
    return devices == DeviceMechanism.XENSTORE ? size : size + ":" + devices.word();
  }
}
