package org.chaosvm.daemon.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.chaosvm.libxc.LoopDevice;
import org.chaosvm.libxc.NetInterfaces;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What must be gone from Dom0 once removed devices' back ends have let go of them: the back ends'
 * devices on Dom0's xen-backend bus (until one is gone its driver may still write, e.g. blkback's
 * "reading physical-device" error when its back end's nodes vanish), their network interfaces, and
 * their loop devices still bound to their image files.
 */
record Dom0Leftovers(List<Path> backends, List<String> interfaces, Map<Path, Path> loopFiles) {
  /** Where Dom0's kernel lists the back-end devices its drivers serve, as KIND-DOMID-DEVID. */
  static final Path BACKEND_BUS = Path.of("/sys/bus/xen-backend/devices");

  private static final Logger log = LoggerFactory.getLogger(Dom0Leftovers.class);

  /** How long Dom0 may take to delete interfaces and unbind loop devices of removed back ends. */
  static final Duration GONE_WAIT = Duration.ofSeconds(20);

  /** Waits (at most {@link #GONE_WAIT}) until they are gone; logs what is left after that. */
  void await() {
    if (!Polling.until(GONE_WAIT, 1, 50, () -> left().isEmpty())) {
      log.warn("still in Dom0 {} s after their back ends went: {}", GONE_WAIT.toSeconds(), left());
    }
  }

  private List<String> left() {
    List<String> left = new ArrayList<>();
    backends.stream().filter(Files::exists).map(Path::toString).forEach(left::add);
    interfaces.stream().filter(NetInterfaces::exists).forEach(left::add);
    loopFiles.forEach(
        (loop, file) -> {
          if (LoopDevice.backingFile(loop).filter(file::equals).isPresent()) {
            left.add(loop + " (" + file + ")");
          }
        });
    return left;
  }
}
