package org.chaosvm.daemon;

import picocli.CommandLine.IVersionProvider;

/** chaos-daemon's version: its jar's Implementation-Version, which the build writes. */
final class Versions {
  private Versions() {}

  static String of(Class<?> type) {
    String version = type.getPackage().getImplementationVersion();
    return version == null ? "(development build)" : version;
  }

  static final class Daemon implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"chaos-daemon " + of(ChaosDaemon.class)};
    }
  }
}
