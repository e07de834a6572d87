package org.chaosvm.daemon.engine;

import java.nio.file.FileSystems;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;

/**
 * What the daemon lets members of its socket's group do beyond their own guests (docs/security.md).
 *
 * @param memberPoolCap the most shells the pool's targets may add up to after a member's {@code
 *     pool} request (root's are not capped)
 * @param memberBlockDevices globs of the Dom0 block devices members may attach (e.g. {@code
 *     /dev/vg0/guest-*}); none by default
 * @param memberBridges globs of the bridges members may connect their guests' vifs to (e.g. {@code
 *     xenbr1} or {@code tenant*}); none by default, as qemu-bridge-helper allows none
 */
public record MemberPolicy(
    int memberPoolCap, List<String> memberBlockDevices, List<String> memberBridges) {
  public static final MemberPolicy DEFAULT = new MemberPolicy(8, List.of(), List.of());

  public MemberPolicy {
    if (memberPoolCap < 0) {
      throw new IllegalArgumentException("the members' pool cap is 0 or more");
    }
    memberBlockDevices = List.copyOf(memberBlockDevices);
    memberBridges = List.copyOf(memberBridges);
    memberBlockDevices.forEach(MemberPolicy::checkGlob); // a bad glob fails at the start
    memberBridges.forEach(MemberPolicy::checkGlob);
  }

  /** Throws IllegalArgumentException (PatternSyntaxException) for a glob that cannot be used. */
  public static void checkGlob(String glob) {
    matcher(glob);
  }

  private static PathMatcher matcher(String glob) {
    return FileSystems.getDefault().getPathMatcher("glob:" + glob);
  }

  private static boolean matchesAny(List<String> globs, Path path) {
    return globs.stream().anyMatch(glob -> matcher(glob).matches(path));
  }

  public boolean allowsBlockDevice(Path device) {
    return matchesAny(memberBlockDevices, device);
  }

  /** Whether members may connect vifs to {@code bridge} (a name, never a path). */
  public boolean allowsBridge(String bridge) {
    try {
      return !bridge.contains("/") && matchesAny(memberBridges, Path.of(bridge));
    } catch (InvalidPathException e) {
      return false; // no bridge's name
    }
  }
}
