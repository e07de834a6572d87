package org.chaosvm.protocol;

/** Why a request failed; each has a fixed exit code of the CLI (see docs/protocol.md). */
public enum ErrorCode {
  /** The message is not a request of this protocol (syntax, unknown field, size, version). */
  BAD_REQUEST,
  /** The guest config is wrong; the message names the place. */
  CONFIG,
  /** No guest of that name or domid. */
  NOT_FOUND,
  /** A guest of that name exists already. */
  EXISTS,
  /** Not enough free memory (or CPUs) for the guest. */
  NO_CAPACITY,
  /** The guest is not in a state that allows the request (e.g. unpause of a running guest). */
  WRONG_STATE,
  /** Xen refused; the message names the call, the errno and the domain. */
  XEN,
  /** A fault of the daemon itself. */
  INTERNAL,
  /** The daemon serves as many connections as it takes at once; try again later. */
  BUSY,
  /**
   * The caller may not do this: another user's guest, a file the caller cannot open, a Dom0 block
   * device not allowed to members, a pool target beyond the members' cap (docs/security.md).
   */
  DENIED
}
