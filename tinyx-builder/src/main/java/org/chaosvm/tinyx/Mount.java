package org.chaosvm.tinyx;

import java.util.List;

/**
 * One file system the init mounts, as a line of an fstab file. The init mounts a whole list with
 * one {@code mount -a -T FILE} (BusyBox), in one process: each process the init starts costs a Xen
 * PV guest's boot 10 to 40 ms under TCG (its fork and exec update page tables through the
 * hypervisor).
 *
 * @param source what is mounted ({@code proc}, or the folder of a bind mount)
 * @param target where
 * @param type its type ({@code none} for a bind mount)
 * @param options its mount options
 */
record Mount(String source, String target, String type, String options) {
  static final Mount PROC = new Mount("proc", "/proc", "proc", "defaults");
  static final Mount SYSFS = new Mount("sysfs", "/sys", "sysfs", "defaults");
  static final Mount DEVTMPFS = new Mount("devtmpfs", "/dev", "devtmpfs", "defaults");
  static final Mount DEVPTS = new Mount("devpts", "/dev/pts", "devpts", "defaults");
  static final Mount SHM = new Mount("tmpfs", "/dev/shm", "tmpfs", "mode=1777");
  static final Mount RUN = new Mount("tmpfs", "/run", "tmpfs", "mode=0755");
  static final Mount TMP = new Mount("tmpfs", "/tmp", "tmpfs", "mode=1777");

  /** The file systems in /dev, in folders the init makes there once /dev is mounted. */
  static final List<Mount> IN_DEV = List.of(DEVPTS, SHM);

  Mount {
    for (String field : List.of(source, target, type, options)) {
      if (field.isEmpty() || field.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("'" + field + "' cannot be an fstab field");
      }
    }
  }

  /** The same mount in a tree mounted at {@code root}. */
  Mount under(String root) {
    return new Mount(source, root + target, type, options);
  }

  /** The mounts' targets, for a shell line: {@code /dev/pts /dev/shm}. */
  static String targets(List<Mount> mounts) {
    return String.join(" ", mounts.stream().map(Mount::target).toList());
  }

  /** Adds the fstab file {@code path} to the image: a comment line, then each mount in order. */
  static void addFstab(FileTree tree, String path, String comment, List<Mount> mounts) {
    StringBuilder s = new StringBuilder("# ").append(comment).append('\n');
    for (Mount m : mounts) {
      s.append(String.join(" ", m.source, m.target, m.type, m.options)).append(" 0 0\n");
    }
    tree.addContent(path, s.toString(), 0644, "tinyx skeleton");
  }
}
