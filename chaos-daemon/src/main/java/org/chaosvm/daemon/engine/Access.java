package org.chaosvm.daemon.engine;

import java.util.Map;
import org.chaosvm.daemon.config.VifSpec;
import org.chaosvm.protocol.ErrorCode;

/**
 * What a caller may do (docs/security.md). Root may do anything. Any other user that can reach the
 * socket (a member of its group) creates from kernels, ramdisks and images it can open itself
 * ({@link CallerFiles}), attaches none of Dom0's block devices but those {@link
 * MemberPolicy#memberBlockDevices} names, connects vifs to none of Dom0's bridges but those {@link
 * MemberPolicy#memberBridges} names (and names no interface of Dom0's), acts on and sees only the
 * guests it created, and sets pool targets only while they add up to at most {@link
 * MemberPolicy#memberPoolCap} shells.
 */
final class Access {
  private final MemberPolicy policy;
  private final GuestOwners owners;

  Access(MemberPolicy policy, GuestOwners owners) {
    this.policy = policy;
    this.owners = owners;
  }

  MemberPolicy policy() {
    return policy;
  }

  /** Whether {@code caller} sees {@code guest} (in a list) and may act on it. */
  boolean mayUse(Caller caller, Guest guest) {
    return caller.isRoot() || owners.ownerOf(guest).equals(caller.name());
  }

  /** Refuses {@code operation} on another user's guest (DENIED). */
  void requireOwner(Caller caller, Guest guest, String operation) {
    if (!mayUse(caller, guest)) {
      throw new ChaosException(
          ErrorCode.DENIED,
          caller.name()
              + " may not "
              + operation
              + " "
              + guest.name()
              + ": it is "
              + owners.ownerOf(guest)
              + "'s guest");
    }
  }

  /**
   * Refuses a member's {@code vif} of guest {@code guest} on a bridge the policy does not name, or
   * one that names its interface in Dom0 ({@code vifname}: Dom0's firewall rules may trust names).
   */
  void requireNetwork(Caller caller, String guest, VifSpec vif) {
    if (caller.isRoot()) {
      return;
    }
    String bridge = vif.bridgeOrDefault();
    if (!policy.allowsBridge(bridge)) {
      throw new ChaosException(
          ErrorCode.DENIED,
          caller.name()
              + " may not connect "
              + guest
              + " to bridge "
              + bridge
              + ": members may use only the bridges chaos-daemon --member-bridge names");
    }
    if (vif.vifname().isPresent()) {
      throw new ChaosException(
          ErrorCode.DENIED,
          caller.name()
              + " may not name "
              + guest
              + "'s interface in Dom0 (vifname="
              + vif.vifname().get()
              + "): only root may");
    }
  }

  /**
   * Refuses a member's pool targets that, applied to {@code current}, would add up to more shells
   * than the cap, and more than now (lowering targets is always allowed).
   */
  void requirePoolTargets(
      Caller caller, Map<SizeClass, Integer> current, Map<SizeClass, Integer> requested) {
    if (caller.isRoot()) {
      return;
    }
    Map<SizeClass, Integer> after = new java.util.HashMap<>(current);
    after.putAll(requested);
    long shells = after.values().stream().mapToLong(Integer::longValue).sum();
    long now = current.values().stream().mapToLong(Integer::longValue).sum();
    if (shells > policy.memberPoolCap() && shells > now) {
      throw new ChaosException(
          ErrorCode.DENIED,
          caller.name()
              + " may not set pool targets adding up to "
              + shells
              + " shells: members may have at most "
              + policy.memberPoolCap()
              + " (chaos-daemon --member-pool-cap); root may set any");
    }
  }
}
