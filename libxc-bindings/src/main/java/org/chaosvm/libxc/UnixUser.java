package org.chaosvm.libxc;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import jnr.ffi.Pointer;

/**
 * A user of this host as its C library knows them (the passwd and group databases, through NSS):
 * the ids a file's permissions are checked against.
 *
 * @param groups the supplementary groups, the primary one included
 */
public record UnixUser(String name, int uid, int gid, List<Integer> groups) {
  public UnixUser {
    groups = List.copyOf(groups);
  }

  public boolean isRoot() {
    return uid == 0;
  }

  /**
   * The user called {@code name} ({@code getpwnam}, {@code getgrouplist}); a name of digits that no
   * entry has is taken as a uid without an entry (SO_PEERCRED names such a user by its uid), with
   * no groups beyond its own.
   */
  public static Optional<UnixUser> named(String name) {
    LibC.Native lib = LibC.lib();
    Pointer entry = lib.getpwnam(name); // NULL and errno, or NULL alone for "no such user"
    if (entry == null) {
      if (name.matches("[0-9]{1,10}") && Long.parseLong(name) <= Integer.MAX_VALUE) {
        int uid = Integer.parseInt(name);
        return Optional.of(new UnixUser(name, uid, uid, List.of(uid)));
      }
      return Optional.empty();
    }
    Passwd passwd = new Passwd(LibC.runtime());
    passwd.useMemory(entry);
    int uid = (int) passwd.pw_uid.get();
    int gid = (int) passwd.pw_gid.get();
    return Optional.of(new UnixUser(name, uid, gid, groupsOf(name, gid)));
  }

  /** {@code getgrouplist}: -1 with the count needed when the array is too small. */
  private static List<Integer> groupsOf(String name, int gid) {
    int[] count = {32};
    while (true) {
      int[] groups = new int[count[0]];
      if (LibC.lib().getgrouplist(name, gid, groups, count) >= 0) {
        return Arrays.stream(groups, 0, count[0]).boxed().toList();
      }
      if (count[0] <= groups.length) {
        count[0] = groups.length * 2; // glibc says how many; another C library may not
      }
      if (count[0] > 65536) {
        throw new XenException("getgrouplist(" + name + ")", Errno.UNKNOWN, null, "no end");
      }
    }
  }
}
