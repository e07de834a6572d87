package org.chaosvm.libxc;

import java.util.Optional;

/**
 * One event channel port of a domain as Xen reports it (EVTCHNOP_status).
 *
 * @param remote the domain at the other end: an interdomain channel's, or the one an unbound port
 *     waits for (Xen turns a channel into that when its remote end's domain dies)
 */
public record EventChannelStatus(int port, State state, Optional<DomId> remote) {
  /** EVTCHNSTAT_*, in their order. */
  public enum State {
    CLOSED,
    UNBOUND,
    INTERDOMAIN,
    PIRQ,
    VIRQ,
    IPI
  }
}
