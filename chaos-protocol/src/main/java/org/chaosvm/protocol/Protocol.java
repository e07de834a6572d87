package org.chaosvm.protocol;

import java.nio.file.Path;

/**
 * The daemon's wire protocol in one place (documented in docs/protocol.md). Over a Unix domain
 * socket, each message is one JSON object on one line (UTF-8, ended by '\n'): the client sends a
 * {@link Request}, the daemon answers with one {@link Reply}, and the connection may carry further
 * requests. Every request carries the protocol version; a daemon refuses versions it does not
 * speak.
 */
public final class Protocol {
  /** The version of this protocol; bumped on any incompatible change. */
  public static final int VERSION = 3;

  /**
   * A message longer than this (in bytes, newline excluded) is refused and the connection closed.
   */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024;

  /** A guest config file larger than this (bytes) is not one. */
  public static final long MAX_CONFIG_BYTES = 1 << 20;

  /**
   * Connections a daemon serves at once by default; one more is answered {@link ErrorCode#BUSY} and
   * closed.
   */
  public static final int MAX_CONNECTIONS = 64;

  /**
   * Connections one user other than root may hold at once by default, so that one member's flood
   * leaves the others served; one more is answered {@link ErrorCode#BUSY} and closed.
   */
  public static final int MAX_CONNECTIONS_PER_USER = 16;

  /**
   * How long a daemon waits for a request, whole, on an open connection (by default, in seconds): a
   * client that stays silent or stops halfway through a message is disconnected then.
   */
  public static final int IDLE_SECONDS = 60;

  /**
   * How long a daemon waits for a guest to power off before it answers a {@code shutdown} that
   * awaits it (seconds); a client waits this long beyond its own limit for that reply.
   */
  public static final int SHUTDOWN_WAIT_SECONDS = 120;

  /** Where the daemon listens unless told otherwise. */
  public static final Path DEFAULT_SOCKET = Path.of("/run/chaos/chaos.sock");

  private Protocol() {}
}
