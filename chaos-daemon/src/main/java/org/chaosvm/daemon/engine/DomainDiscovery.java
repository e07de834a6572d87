package org.chaosvm.daemon.engine;

import java.util.Optional;
import java.util.UUID;
import org.chaosvm.daemon.engine.GuestRegistry.State;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.protocol.GuestRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns the host's domains into the {@link GuestRegistry}, reading Xen and their marks only for
 * domains the registry does not know: a daemon at start and on each domain event, a {@code
 * --direct} engine for what its one request needs. What it reads of a domain is its name and
 * chaos's mark ({@link DomainMarks}); a chaos guest's record only when it is adopted.
 */
final class DomainDiscovery {
  private static final Logger log = LoggerFactory.getLogger(DomainDiscovery.class);

  private final XenHandles handles;
  private final DomainMarks marks;
  private final GuestRegistry registry;

  DomainDiscovery(XenHandles handles, DomainMarks marks, GuestRegistry registry) {
    this.handles = handles;
    this.marks = marks;
    this.registry = registry;
  }

  /** A domain this engine has not heard of; a dying one is of no interest. */
  boolean isNew(DomainInfo info) {
    return !info.domid().equals(DomId.DOM0) && !info.dying() && !registry.knows(info.domid());
  }

  /**
   * For a {@code --direct} engine: learns the one domain a request names, adopting it if chaos's.
   */
  void learnFor(GuestRef ref) {
    if (ref.isDomid()) {
      try {
        DomId domid = DomId.of(ref.domid());
        handles.xc().domainInfo(domid).ifPresent(info -> learn(domid, info.handle(), true));
      } catch (IllegalArgumentException e) {
        // not a domid Xen gives: not found
      }
      return;
    }
    learnNames();
    registry
        .otherNamed(ref.text())
        .ifPresent(
            domid ->
                handles
                    .xc()
                    .domainInfo(domid)
                    .ifPresent(info -> learn(domid, info.handle(), true)));
  }

  /**
   * For a {@code --direct} engine: the name of every domain not known yet, and nothing more (one
   * XenStore read each), recorded as other domains' names: what a create's name check needs.
   */
  void learnNames() {
    for (DomainInfo info : handles.xc().domainInfos()) {
      if (isNew(info)) {
        registry.learnOther(info.domid(), marks.name(info.domid()).orElse(""), true);
      }
    }
  }

  /**
   * Reads chaos's mark of a domain and its name. A chaos guest is adopted (with {@code adopt}, its
   * record read whole) or recorded as another domain holding its name; any other domain is recorded
   * so. A chaos shell or half-built domain that this engine did not make (another chaos process's,
   * in the middle of its work) is not recorded: it is looked at again when next heard of, by when
   * it may be a guest. False for such a domain, which is not to be listed.
   */
  boolean learn(DomId domid, UUID handle, boolean adopt) {
    return learn(domid, handle, adopt, marks.state(domid));
  }

  /** {@link #learn(DomId, UUID, boolean)} given the domain's {@code chaos/state}, read already. */
  boolean learn(DomId domid, UUID handle, boolean adopt, Optional<String> state) {
    boolean guest = state.filter(DomainLayout.STATE_RUNNING::equals).isPresent();
    if (state.isPresent() && !guest) {
      return false;
    }
    if (guest && adopt) {
      Guest adopted = marks.readGuest(domid, handle);
      try {
        registry.register(adopted, State.RUNNING, Optional.empty());
        log.info("adopted {} (domain {})", adopted.name(), domid);
        return true;
      } catch (IllegalStateException e) {
        log.warn("cannot adopt domain {}: {}", domid, e.getMessage());
      }
    }
    registry.learnOther(domid, marks.name(domid).orElse(""), true);
    return true;
  }
}
