package org.chaosvm.daemon.server;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.chaosvm.daemon.engine.Caller;
import org.chaosvm.libxc.UserFile;
import org.chaosvm.libxc.XenException;
import org.chaosvm.protocol.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A migration's relay ({@link Request.Relay}, docs/protocol.md, "Migrations"): the pipe that a
 * connection's requests and image come from, the standard input of {@code chaos migrate-receive},
 * opened with the caller's rights ({@link UserFile}).
 */
final class Relays {
  private static final Logger log = LoggerFactory.getLogger(Relays.class);

  private Relays() {}

  /** Why a relay's input is not read: the connection's error reply. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  /**
   * Opens {@code relay}'s input for {@code caller}: a pipe or FIFO, left non-blocking, for {@link
   * UserFile#input(java.time.Duration)}. {@code first}: the request is its connection's first.
   */
  static UserFile open(Caller caller, Request.Relay relay, boolean first) throws Refused {
    if (!first) {
      throw new Refused("relay must be its connection's first request");
    }
    Path input;
    try {
      input = Path.of(relay.input());
    } catch (InvalidPathException e) {
      throw new Refused("the relay's input is not a path: " + e.getReason());
    }
    if (!input.isAbsolute()) {
      throw new Refused("the relay's input must be an absolute path, not " + relay.input());
    }
    UserFile file;
    try {
      file = UserFile.open(caller.user(), input, false);
    } catch (XenException e) {
      throw new Refused(
          "chaos-daemon cannot read the relay's input "
              + input
              + " as "
              + caller.name()
              + ": "
              + e.errno());
    }
    if (!file.isFifo()) {
      file.close();
      throw new Refused(
          "the relay's input " + input + " is not a pipe (a relay names its standard input)");
    }
    log.info("a migration's relay: requests and image from {} ({})", input, caller.name());
    return file;
  }

  /**
   * {@code request} as the engine takes it on a relay's connection: a migration's restore (an
   * unframed one) reads its image from the relay's {@code input} itself, so that libxenguest reads
   * the pipe the transport writes.
   */
  static Request imageFrom(Request request, String input) {
    if (request instanceof Request.Restore restore
        && restore.unframed()
        && restore.file() == null) {
      return new Request.Restore(
          restore.version(), restore.name(), restore.paused(), restore.hold(), input, true);
    }
    return request;
  }
}
