package org.chaosvm.daemon.engine;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.chaosvm.daemon.config.GuestConfig;
import org.chaosvm.daemon.config.LifecycleAction;
import org.chaosvm.daemon.engine.GuestRegistry.State;
import org.chaosvm.libxc.DomId;
import org.chaosvm.libxc.DomainInfo;
import org.chaosvm.libxc.DomainStream;
import org.chaosvm.libxc.ShutdownReason;
import org.chaosvm.libxc.XenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guests' ends: what happens when a domain event says a guest shut down, crashed or is gone
 * (on_poweroff, on_reboot and on_crash: destroy, restart, preserve), and the one way a guest is
 * ended, by a request or by its lifecycle action ({@link #end}).
 */
final class Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

  static final Set<State> LIVE = EnumSet.of(State.RUNNING);
  static final Set<State> DESTROYABLE =
      EnumSet.of(State.RUNNING, State.PRESERVED, State.SUSPENDING, State.MIGRATING);

  /**
   * Creates a guest again from its config (on_reboot = restart), as {@code owner} created it; its
   * new domid.
   */
  interface Restart {
    int create(GuestConfig config, String configText, String owner);
  }

  private final XenHandles handles;
  private final GuestRegistry registry;
  private final DomainFactory factory;
  private final DomainDiscovery discovery;
  private final GuestOwners owners;
  private final Restart restart;
  private final Runnable lookAgain;

  /**
   * {@code lookAgain} asks for one more {@link #onDomainEvent} on the events' thread, as if an
   * event had come.
   */
  Lifecycle(
      XenHandles handles,
      GuestRegistry registry,
      DomainFactory factory,
      DomainDiscovery discovery,
      GuestOwners owners,
      Restart restart,
      Runnable lookAgain) {
    this.handles = handles;
    this.owners = owners;
    this.registry = registry;
    this.factory = factory;
    this.discovery = discovery;
    this.restart = restart;
    this.lookAgain = lookAgain;
  }

  /**
   * Moves a guest from {@code from} to {@code to}, as {@link GuestRegistry#transition}. A guest
   * that now runs and whose domain shut down (not for a suspend) or went while it was held is
   * looked at again: the events' look passes over a held guest, and xenstored tells of no shutdown
   * of a domain it has not been introduced to (a guest that crashes while being built). False if it
   * was not in {@code from}.
   */
  boolean transition(DomId domid, State from, State to) {
    if (!registry.transition(domid, from, to)) {
      return false;
    }
    if (to == State.RUNNING && handles.xc().domainInfo(domid).map(Lifecycle::ended).orElse(true)) {
      log.info("domain {} shut down while {}: its lifecycle action follows", domid, from.word());
      lookAgain.run();
    }
    return true;
  }

  /** Whether a domain shut down for good, or is dying: not a suspended one. */
  private static boolean ended(DomainInfo info) {
    return info.dying() || info.shutdown() && !info.suspended();
  }

  /**
   * A domain came, went or shut down: learns the domains not known yet, cleans up after the guests
   * that are gone and applies on_poweroff, on_reboot and on_crash to those that shut down.
   */
  void onDomainEvent() {
    Map<DomId, DomainInfo> infos = new HashMap<>();
    Set<DomId> live = new HashSet<>();
    for (DomainInfo info : handles.xc().domainInfos()) {
      infos.put(info.domid(), info);
      if (!info.dying()) {
        live.add(info.domid());
      }
    }
    // A dying domain is gone as far as names go (xl frees its name at once too): xenstored fires
    // @releaseDomain when a domain starts dying, and nothing when Xen at last lets it go.
    for (Guest gone : registry.retainOnly(live)) {
      end(gone, false, DESTROYABLE);
    }
    for (DomainInfo info : infos.values()) {
      if (discovery.isNew(info)) {
        discovery.learn(info.domid(), info.handle(), true);
      }
    }
    for (Guest guest : registry.guests()) {
      DomainInfo info = infos.get(guest.domid());
      if (info == null || info.dying()) {
        if (registry.state(guest.domid()).filter(s -> s != State.BUILDING).isPresent()) {
          end(guest, false, DESTROYABLE);
        }
      } else if (info.shutdown()) {
        ShutdownReason reason = info.shutdownReason().orElse(ShutdownReason.POWEROFF);
        apply(guest, reason, actionFor(guest, reason));
      }
    }
  }

  /** The lifecycle action a guest's config gives for how it shut down. */
  static LifecycleAction actionFor(Guest guest, ShutdownReason reason) {
    return switch (reason) {
      case POWEROFF -> guest.onPoweroff();
      case REBOOT -> guest.onReboot();
      case CRASH, WATCHDOG -> guest.onCrash();
      case SUSPEND, SOFT_RESET -> LifecycleAction.PRESERVE;
    };
  }

  /**
   * Ends a guest in one of {@code from}: destroys its domain (or, without {@code destroy}, cleans
   * up after a domain that is gone), then forgets it. Its name stays held until then. False if
   * another thread is ending it, or it is in none of {@code from}.
   */
  boolean end(Guest guest, boolean destroy, Set<State> from) {
    return end(guest, destroy, from, new Phases());
  }

  /** {@link #end}, the destroy's steps timed in {@code phases}. */
  boolean end(Guest guest, boolean destroy, Set<State> from, Phases phases) {
    if (registry.claim(guest.domid(), from, State.DESTROYING).isEmpty()) {
      return false;
    }
    try {
      if (destroy) {
        factory.destroy(guest.domid(), Optional.of(guest.uuid()), guest.mechanism(), phases);
      } else {
        factory.removeRemains(guest.domid(), Optional.of(guest.uuid()), guest.mechanism());
        log.info("{} (domain {}) is gone", guest.name(), guest.domid());
      }
    } finally {
      registry.forget(guest.domid());
      owners.forget(guest.domid());
    }
    return true;
  }

  /**
   * A running guest found suspended: no save is under way (a save holds its guest {@code
   * suspending}), so it is one that a dead daemon began, or a guest that suspended of its own
   * accord. It goes on where it was, as after a failed save; if it cannot, it is kept (preserved).
   */
  private void resume(Guest guest) {
    try {
      DomainStream.resume(handles.xc(), guest.domid());
      log.info(
          "{} (domain {}) was suspended with no save under way (one an earlier daemon began?):"
              + " resumed",
          guest.name(),
          guest.domid());
    } catch (XenException e) {
      log.warn("{} is suspended and cannot be resumed: {}", guest.name(), e.getMessage());
      registry.transition(guest.domid(), State.RUNNING, State.PRESERVED);
    }
  }

  private void apply(Guest guest, ShutdownReason reason, LifecycleAction action) {
    if (registry.state(guest.domid()).filter(s -> s == State.RUNNING).isEmpty()) {
      return; // preserved already, or being destroyed, or held: its holder's move to running looks
    }
    if (reason == ShutdownReason.SUSPEND) {
      resume(guest);
      return;
    }
    log.info(
        "{} (domain {}) shut down ({}): {}", guest.name(), guest.domid(), reason, action.xlName());
    switch (action) {
      case PRESERVE -> registry.transition(guest.domid(), State.RUNNING, State.PRESERVED);
      case DESTROY -> end(guest, true, LIVE);
      case RESTART -> {
        String owner = owners.ownerOf(guest); // its record goes with the old domain
        if (!end(guest, true, LIVE)) {
          return;
        }
        if (guest.config().isEmpty()) {
          log.warn("cannot restart {}: its config was not kept; destroyed", guest.name());
          return;
        }
        try {
          int domid = restart.create(guest.config().get(), guest.configText(), owner);
          log.info("restarted {} as domain {}", guest.name(), domid);
        } catch (ChaosException | XenException e) {
          log.warn("cannot restart {}: {}", guest.name(), e.getMessage());
        }
      }
    }
  }
}
