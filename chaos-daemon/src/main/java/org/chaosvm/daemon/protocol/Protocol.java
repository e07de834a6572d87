package org.chaosvm.daemon.protocol;

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
  public static final int VERSION = 1;

  /**
   * A message longer than this (in bytes, newline excluded) is refused and the connection closed.
   */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024;

  /** Where the daemon listens unless told otherwise. */
  public static final Path DEFAULT_SOCKET = Path.of("/run/chaos/chaos.sock");

  private Protocol() {}
}
