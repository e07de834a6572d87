package org.chaosvm.libxc;

import jnr.ffi.Runtime;
import jnr.ffi.Struct;

/**
 * {@code struct evtchn_status} of xen/event_channel.h (Xen 4.17), libxenctrl's xc_evtchn_status_t.
 * Of its union {@code u}, the members chaos reads: an unbound port's remote domain ({@code
 * u.unbound.dom}) and an interdomain channel's remote end ({@code u.interdomain}), which share
 * their first member.
 */
@CStruct("evtchn_status")
final class EvtchnStatus extends Struct {
  final Unsigned16 dom = new Unsigned16();
  final Unsigned32 port = new Unsigned32();
  final Unsigned32 status = new Unsigned32();
  final Unsigned32 vcpu = new Unsigned32();
  final Interdomain u = inner(new Interdomain(getRuntime()));

  /** {@code u.interdomain}: the remote domain and port. */
  static final class Interdomain extends Struct {
    final Unsigned16 dom = new Unsigned16();
    final Unsigned32 port = new Unsigned32();

    Interdomain(Runtime runtime) {
      super(runtime);
    }
  }

  EvtchnStatus(Runtime runtime) {
    super(runtime);
  }
}
