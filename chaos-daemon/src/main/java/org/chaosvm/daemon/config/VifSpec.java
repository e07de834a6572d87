package org.chaosvm.daemon.config;

import java.util.Optional;

/**
 * A network interface as xl's {@code vif} describes it ({@code "mac=...,bridge=...,ip=..."}); each
 * setting is empty when not given.
 *
 * @param ip the guest's address(es), as xl passes them on (chaos writes them to the back end for
 *     the record; the guest configures its own address)
 * @param trusted whether the guest's front end may trust the back end (xl's default: yes)
 */
public record VifSpec(
    Optional<String> mac,
    Optional<String> bridge,
    Optional<String> ip,
    Optional<String> vifname,
    Optional<Rate> rate,
    Optional<Integer> mtu,
    boolean trusted) {
  /** xl's bridge when a vif names none. */
  public static final String DEFAULT_BRIDGE = "xenbr0";

  /**
   * A rate limit in netback's terms: so many bytes per interval.
   *
   * @param text the limit as the config wrote it (e.g. {@code 10Mb/s@20ms})
   */
  public record Rate(long bytesPerInterval, long intervalMicros, String text) {
    /** The value of the back end's {@code rate} node. */
    public String node() {
      return bytesPerInterval + "," + intervalMicros;
    }
  }

  public String bridgeOrDefault() {
    return bridge.orElse(DEFAULT_BRIDGE);
  }
}
