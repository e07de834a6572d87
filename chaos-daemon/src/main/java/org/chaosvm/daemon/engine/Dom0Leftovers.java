package org.chaosvm.daemon.engine;

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
 * What must be gone from Dom0 once removed devices' back ends have let go of them: their network
 * interfaces, and their loop devices still bound to their image files.
 */
record Dom0Leftovers(List<String> interfaces, Map<Path, Path> loopFiles) {
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
