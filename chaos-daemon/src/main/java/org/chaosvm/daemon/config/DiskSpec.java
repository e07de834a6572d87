package org.chaosvm.daemon.config;

/**
 * A virtual disk as xl's {@code disk} describes it, of what chaos supports: a raw image file or a
 * block device of Dom0, served by Dom0's blkback.
 *
 * @param target the image file or block device, a path ({@code /dev/} put before one that is not
 *     absolute, as xl's block script does)
 * @param vdev the device the guest sees (xvda, ...)
 * @param writable false for read-only access
 * @param discard whether the back end offers discard (TRIM) to the guest; xl's default: when the
 *     disk is writable
 * @param trusted whether the guest's front end may trust the back end (xl's default: yes)
 * @param directIoSafe xl's {@code direct-io-safe} flag, passed on to the back end
 */
public record DiskSpec(
    String target,
    String vdev,
    boolean writable,
    boolean discard,
    boolean trusted,
    boolean directIoSafe) {
  /** A disk with xl's defaults for everything but what is given. */
  public static DiskSpec of(String target, String vdev, boolean writable) {
    return new DiskSpec(target, vdev, writable, writable, true, false);
  }

  /** The same disk, backed by the file or device at {@code newTarget}. */
  public DiskSpec withTarget(String newTarget) {
    return new DiskSpec(newTarget, vdev, writable, discard, trusted, directIoSafe);
  }
}
