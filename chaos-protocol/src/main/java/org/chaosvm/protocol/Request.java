package org.chaosvm.protocol;

import java.util.Map;

/**
 * What a client asks of the daemon: a closed set, told apart by the {@code "op"} field. Every
 * request also carries {@code "version"}.
 */
public sealed interface Request {
  int version();

  /**
   * Create a guest from the config file's text ({@code configPath} only names it in errors; the
   * daemon reads no client file). {@code instance}, when not null, makes it the n-th guest of
   * {@code chaos create -n}: the daemon names it NAME-instance, NAME being the config's.
   */
  record Create(int version, String configPath, String configText, boolean paused, Integer instance)
      implements Request {
    /** A create that keeps the config's name. */
    public Create(int version, String configPath, String configText, boolean paused) {
      this(version, configPath, configText, paused, null);
    }

    /**
     * Without the config's text, which may be large or hostile, and has no place in a log line: its
     * path and size say which config it was.
     */
    @Override
    public String toString() {
      return "Create[version="
          + version
          + ", configPath="
          + configPath
          + ", configText="
          + (configText == null ? "null" : configText.length() + " chars")
          + ", paused="
          + paused
          + ", instance="
          + instance
          + "]";
    }
  }

  record Destroy(int version, GuestRef guest) implements Request {}

  /** Ask the guest to power off; with {@code await}, answer once it is gone. */
  record Shutdown(int version, GuestRef guest, boolean await) implements Request {}

  record Reboot(int version, GuestRef guest) implements Request {}

  record Pause(int version, GuestRef guest) implements Request {}

  record Unpause(int version, GuestRef guest) implements Request {}

  record ListGuests(int version) implements Request {}

  /**
   * Attach to a guest's console. A {@link Reply.Console} that is {@code streamed} turns the rest of
   * the connection into the console itself (docs/protocol.md).
   */
  record Console(int version, GuestRef guest) implements Request {}

  /** The host and the pool's state per size class. */
  record Info(int version) implements Request {}

  /** Set pool targets: shells to keep ready per size class ("MEMORYxVCPUS" to count). */
  record SetPool(int version, Map<String, Integer> targets) implements Request {}

  /**
   * Attach a device to a running guest: {@code spec} in xl's syntax for the kind (a vif's {@code
   * key=value,...}, a disk's {@code target,format,vdev,access}).
   */
  record AttachDevice(int version, GuestRef guest, DeviceKind kind, String spec)
      implements Request {}

  /**
   * Detach a device: {@code device} is its devid, or a vif's MAC, or a disk's vdev. Without {@code
   * force}, a guest that does not let go of the device keeps it and the request fails.
   */
  record DetachDevice(int version, GuestRef guest, DeviceKind kind, String device, boolean force)
      implements Request {}

  record ListDevices(int version, GuestRef guest, DeviceKind kind) implements Request {}

  /**
   * Save a guest to a checkpoint image, which the daemon sends on this connection ({@link
   * Reply.Image}, then {@link ImageFrames}, then the final reply) or, when {@code file} names a
   * file the daemon can open with the caller's rights, writes into that file itself ({@link
   * Reply.Image} says which; then the final reply). Without {@code keep} the guest is destroyed
   * once saved; with it, it goes on. {@code live}: its memory is sent while it runs, for a short
   * pause (a migration's). {@code hold} (a migration's source): once the image is sent, the guest
   * waits, suspended, and the daemon replies {@link Reply.Done} and reads a {@link Decision}:
   * commit destroys the guest, abort (or the connection's end, or none within the idle limit) lets
   * it go on; the final reply follows. {@code file}: null, or an absolute path, which the client
   * has made (an empty file it may write).
   */
  record Save(int version, GuestRef guest, boolean keep, boolean live, boolean hold, String file)
      implements Request {
    /** A save to a checkpoint, not a migration's, the image in frames. */
    public Save(int version, GuestRef guest, boolean keep, boolean live) {
      this(version, guest, keep, live, false, null);
    }

    /** A save whose image goes in frames. */
    public Save(int version, GuestRef guest, boolean keep, boolean live, boolean hold) {
      this(version, guest, keep, live, hold, null);
    }
  }

  /**
   * Restore a guest from a checkpoint image: the file {@code file} names, read by the daemon with
   * the caller's rights, or the image the client sends on this connection in frames ({@link
   * ImageFrames}): right after the request when {@code file} is null, and after the daemon's {@link
   * Reply.SendImage} when the daemon cannot open the file itself. The final reply is {@link
   * Reply.Created} or an error. {@code name}, when not null, replaces the image's name (a copy of a
   * guest that still runs needs one). {@code hold} (a migration's destination): the guest is
   * restored paused under the name NAME--incoming, the daemon replies {@link Reply.Created} and
   * reads a {@link Decision}: commit names it NAME and lets it run (unless {@code paused}), abort
   * (or the connection's end, or none within the idle limit) destroys it; the final reply follows.
   * {@code unframed} (a migration's): the image follows the request as it is, not in frames: its
   * head, then libxenguest's stream, which ends with its END record.
   */
  record Restore(
      int version, String name, boolean paused, boolean hold, String file, boolean unframed)
      implements Request {
    /** A restore from a checkpoint, not a migration's, the image in frames. */
    public Restore(int version, String name, boolean paused) {
      this(version, name, paused, false, null, false);
    }

    /** A restore whose image comes in frames. */
    public Restore(int version, String name, boolean paused, boolean hold) {
      this(version, name, paused, hold, null, false);
    }

    /** A restore from {@code file}, or in frames if the daemon cannot open it. */
    public Restore(int version, String name, boolean paused, boolean hold, String file) {
      this(version, name, paused, hold, file, false);
    }
  }

  /**
   * A connection's first request, from a migration's relay on its destination ({@code chaos
   * migrate-receive}): the connection's requests, and a migration's image, come from {@code input}
   * (an absolute path to a pipe the caller has open, its standard input as {@code /proc/PID/fd/0}),
   * which the daemon reads with the caller's rights; replies go on the connection. So the image
   * goes from the transport to libxenguest with no copy through the relay and the daemon. It has no
   * reply of its own: an error reply if the daemon cannot read {@code input}, and the connection
   * ends.
   */
  record Relay(int version, String input) implements Request {}

  /**
   * How a migration ends, sent on a held {@link Save}'s or {@link Restore}'s connection after its
   * first reply: {@code commit} or abort. {@code paused}: a committed incoming guest stays paused.
   */
  record Decision(int version, boolean commit, boolean paused) implements Request {}

  /** Whether the request carries an image on its connection (which then ends with its reply). */
  default boolean carriesImage() {
    return this instanceof Save || this instanceof Restore;
  }
}
