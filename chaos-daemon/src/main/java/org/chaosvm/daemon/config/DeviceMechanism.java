package org.chaosvm.daemon.config;

import java.util.Locale;
import java.util.Optional;

/**
 * How a guest's devices find their back ends, and how the toolstack reaches the guest: through
 * XenStore (what every Xen guest understands) or through noxs's device page (docs/noxs.md). Written
 * {@code dev_method = "noxs"} in an xl.cfg and {@code "xen": {"dev_method": "noxs"}} in chaos JSON.
 */
public enum DeviceMechanism {
  XENSTORE,
  NOXS;

  /** The word in a config: {@code xenstore} or {@code noxs}. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<DeviceMechanism> parse(String word) {
    for (DeviceMechanism mechanism : values()) {
      if (mechanism.word().equals(word)) {
        return Optional.of(mechanism);
      }
    }
    return Optional.empty();
  }
}
