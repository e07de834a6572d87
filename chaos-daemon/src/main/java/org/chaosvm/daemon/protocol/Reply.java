package org.chaosvm.daemon.protocol;

import java.util.List;
import java.util.Map;

/** The daemon's answer to one request: a closed set, told apart by {@code "reply"}. */
public sealed interface Reply {
  /**
   * A guest was created.
   *
   * @param fromPool whether a prepared shell was used (else one was built on demand)
   * @param phasesMs the time of each phase of the create, in order, in milliseconds
   */
  record Created(int domid, String name, boolean fromPool, Map<String, Double> phasesMs)
      implements Reply {}

  /** The request was carried out. */
  record Done(String message) implements Reply {}

  record Guests(List<GuestInfo> guests) implements Reply {}

  /**
   * One guest.
   *
   * @param state running, blocked, paused, shutdown or dying, as Xen reports it
   */
  record GuestInfo(int domid, String name, int memoryMib, int vcpus, String state) {}

  /**
   * The host and the pool.
   *
   * @param pool per size class ("MEMORYxVCPUS"): shells ready and the target
   */
  record HostInfo(long totalMib, long freeMib, int cpus, Map<String, PoolClass> pool)
      implements Reply {}

  record PoolClass(int ready, int target) {}

  record Error(ErrorCode code, String message) implements Reply {}
}
