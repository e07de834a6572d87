package org.chaosvm.daemon.engine;

import java.nio.file.FileSystems;
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
 */
public record MemberPolicy(int memberPoolCap, List<String> memberBlockDevices) {
  public static final MemberPolicy DEFAULT = new MemberPolicy(8, List.of());

  public MemberPolicy {
    if (memberPoolCap < 0) {
      throw new IllegalArgumentException("the members' pool cap is 0 or more");
    }
    memberBlockDevices = List.copyOf(memberBlockDevices);
    memberBlockDevices.forEach(MemberPolicy::matcher); // a bad glob fails at the start, not later
  }

  private static PathMatcher matcher(String glob) {
    return FileSystems.getDefault().getPathMatcher("glob:" + glob);
  }

  public boolean allowsBlockDevice(Path device) {
    return memberBlockDevices.stream().anyMatch(glob -> matcher(glob).matches(device));
  }
}
