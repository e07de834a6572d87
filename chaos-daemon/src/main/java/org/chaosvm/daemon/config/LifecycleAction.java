package org.chaosvm.daemon.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What to do when a guest powers off, reboots or crashes (xl.cfg's on_poweroff and friends). */
public enum LifecycleAction {
  DESTROY("destroy"),
  RESTART("restart"),
  PRESERVE("preserve");

  private final String xlName;

  LifecycleAction(String xlName) {
    this.xlName = xlName;
  }

  public String xlName() {
    return xlName;
  }

  public static Optional<LifecycleAction> fromXlName(String name) {
    return Arrays.stream(values())
        .filter(a -> a.xlName.equals(name.toLowerCase(Locale.ROOT)))
        .findFirst();
  }
}
