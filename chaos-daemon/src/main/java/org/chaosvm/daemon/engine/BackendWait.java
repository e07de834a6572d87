package org.chaosvm.daemon.engine;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.chaosvm.libxc.Errno;
import org.chaosvm.libxc.SplitDevice;
import org.chaosvm.libxc.XenStore;
import org.chaosvm.libxc.XenbusState;
import org.chaosvm.protocol.ErrorCode;

/**
 * Waits until Dom0's back ends are ready for their guest's front ends, as libxl does before it
 * unpauses a guest ({@code libxl__wait_device_connection}): a front end that starts early finds
 * nothing to connect to. Linux's blkfront copes with that, PV-GRUB2's disk driver does not.
 *
 * <p>Ready means: the driver has probed the back end (state InitWait or later), and for a disk,
 * blkback has opened the block device ({@code physical-device}), which it does after InitWait and
 * shows only by the device's {@code physical_device} attribute in sysfs. A driver that fails says
 * so in Dom0's {@code error/backend/...} node and moves its back end to Closing: that fails the
 * wait at once, naming the device and the driver's own words. Several back ends are waited for
 * together, so that their drivers' work overlaps.
 */
final class BackendWait {
  /** How long a back end may take (libxl gives 10 s; a loaded Dom0 under QEMU needs more). */
  static final Duration LIMIT = Duration.ofSeconds(20);

  /** A back end to wait for, and the name a sysadmin knows the device by ("disk xvdb"). */
  record Pending(SplitDevice device, String name) {}

  private BackendWait() {}

  /**
   * Returns once every back end of {@code pending} is ready; throws naming the first that failed,
   * or one still not ready after {@code limit}.
   */
  static void await(XenStore xs, List<Pending> pending, Duration limit) {
    List<Pending> left = new ArrayList<>(pending);
    boolean done =
        Polling.until(
            limit,
            1,
            10,
            () -> {
              left.removeIf(p -> ready(xs, p));
              return left.isEmpty();
            });
    if (!done) {
      Pending late = left.get(0);
      throw new ChaosException(
          ErrorCode.XEN,
          late.name()
              + "'s back end ("
              + late.device().backendPath()
              + ") is not ready after "
              + limit.toSeconds()
              + " s: it is in state "
              + state(xs, late.device()).map(s -> s.name().toLowerCase(Locale.ROOT)).orElse("none")
              + " (is "
              + driver(late.device())
              + " loaded in Dom0?)");
    }
  }

  /** Whether the back end is ready; throws if its driver gave up on it. */
  private static boolean ready(XenStore xs, Pending pending) {
    SplitDevice device = pending.device();
    Optional<String> error = xs.read(XenStore.NO_TRANSACTION, device.backendErrorPath() + "/error");
    Optional<XenbusState> state = state(xs, device);
    if (error.isPresent()
        || state.filter(s -> s.number() >= XenbusState.CLOSING.number()).isPresent()) {
      throw new ChaosException(
          ErrorCode.XEN,
          driver(device)
              + " cannot set up "
              + pending.name()
              + " ("
              + device.backendPath()
              + "): "
              + error.map(BackendWait::describe).orElse("it closed the back end"));
    }
    if (state.filter(s -> s.number() >= XenbusState.INIT_WAIT.number()).isEmpty()) {
      return false;
    }
    return !device.kind().equals("vbd")
        || Files.exists(device.backendSysfsPath().resolve("physical_device"));
  }

  private static Optional<XenbusState> state(XenStore xs, SplitDevice device) {
    return xs.read(XenStore.NO_TRANSACTION, device.backendPath() + "/state")
        .flatMap(XenbusState::parse);
  }

  /** A driver's "ERRNO message" in a sysadmin's words: "creating vbd structure: ENXIO (...)". */
  static String describe(String error) {
    String[] parts = error.strip().split(" ", 2);
    try {
      int number = Integer.parseInt(parts[0]);
      Errno errno = Errno.of(number);
      return (parts.length > 1 ? parts[1] : "error")
          + ": "
          + (errno == Errno.UNKNOWN ? "errno " + number : errno.describe());
    } catch (NumberFormatException e) {
      return error.strip();
    }
  }

  private static String driver(SplitDevice device) {
    return device.kind().equals("vbd") ? "xen-blkback" : "xen-netback";
  }
}
