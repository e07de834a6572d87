package org.chaosvm.daemon.engine;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.chaosvm.libxc.DomId;
import org.chaosvm.protocol.ErrorCode;
import org.chaosvm.protocol.GuestRef;

/**
 * What the engine knows of the host's domains, in memory: its guests (by domid and by name, each in
 * one {@link State}), the names being created, and the names of every other domain (xl's, the
 * pool's shells), which hold their names too. Every look-up is a map look-up: nothing here reads
 * Xen. The engine learns other domains at start and from domain events ({@link #learnOther}, {@link
 * #retainOnly}). Thread-safe.
 */
final class GuestRegistry {
  /** Where a guest is in its life, as the engine sees it. */
  enum State {
    /** Its name is reserved and its shell is being turned into it. */
    BUILDING,
    /** Built and introduced; running, blocked or paused as far as Xen is concerned. */
    RUNNING,
    /** It shut down and its lifecycle action was "preserve": kept until destroyed. */
    PRESERVED,
    /** Asked to suspend, for a save or a migration. */
    SUSPENDING,
    /** Saved to a checkpoint; its domain is gone. */
    SAVED,
    /**
     * Held by a migration until it ends: sent and suspended (the source's), or restored and paused
     * under a name of its own (the destination's).
     */
    MIGRATING,
    /** Being destroyed, or cleaned up after: its name is held until that is done. */
    DESTROYING;

    /** How the state reads in an error message. */
    String word() {
      return name().toLowerCase();
    }
  }

  /** A name held until its create ends: {@link #register} or {@link #close}. */
  final class Reservation implements AutoCloseable {
    private final String name;
    private boolean open = true;

    private Reservation(String name) {
      this.name = name;
    }

    String name() {
      return name;
    }

    /** Lets the name go unless the guest was registered under it. */
    @Override
    public void close() {
      synchronized (GuestRegistry.this) {
        if (open) {
          open = false;
          reserved.remove(name);
        }
      }
    }
  }

  private record Entry(Guest guest, State state) {}

  private final Map<DomId, Entry> byDomid = new HashMap<>();
  private final Map<String, DomId> byName = new HashMap<>();
  private final Set<String> reserved = new HashSet<>();
  private final Map<DomId, String> others = new HashMap<>();
  private final Set<DomId> unlisted = new HashSet<>();
  private final Map<String, Set<DomId>> otherNames = new HashMap<>();

  /**
   * Reserves a name for a guest about to be created.
   *
   * @throws ChaosException EXISTS if a guest, a create under way or another domain holds it
   */
  synchronized Reservation reserve(String name) {
    requireFree(name, Set.of());
    reserved.add(name);
    return new Reservation(name);
  }

  /**
   * Refuses a name that a create under way, another domain or a guest holds, unless that guest is
   * in one of {@code yielding} (a guest being migrated away, whose name a migration's incoming
   * guest takes once it is gone).
   *
   * @throws ChaosException EXISTS, naming the holder
   */
  synchronized void requireFree(String name, Set<State> yielding) {
    DomId guest = byName.get(name);
    if (guest != null && !yielding.contains(byDomid.get(guest).state())) {
      throw new ChaosException(
          ErrorCode.EXISTS, "a guest named " + name + " exists already (domain " + guest + ")");
    }
    if (reserved.contains(name)) {
      throw new ChaosException(
          ErrorCode.EXISTS, "a guest named " + name + " is being created already");
    }
    Set<DomId> holders = otherNames.get(name);
    if (holders != null && !holders.isEmpty()) {
      throw new ChaosException(
          ErrorCode.EXISTS,
          "domain " + holders.iterator().next() + " is named " + name + " already");
    }
  }

  /**
   * Gives a guest another name, free as {@link #reserve} needs it (a migration's incoming guest
   * taking its own).
   *
   * @throws ChaosException EXISTS if the name is held, NOT_FOUND if the guest is gone
   */
  synchronized Guest rename(DomId domid, String name) {
    Entry entry = byDomid.get(domid);
    if (entry == null) {
      throw notFound(new GuestRef(domid.toString()));
    }
    requireFree(name, Set.of());
    Guest renamed = entry.guest().renamed(name);
    byName.remove(entry.guest().name());
    byName.put(name, domid);
    byDomid.put(domid, new Entry(renamed, entry.state()));
    return renamed;
  }

  /**
   * Gives a guest another handle if no other guest holds it (a migration's incoming guest taking
   * its own, which the guest sent from here held until then); false if one does.
   *
   * @throws ChaosException NOT_FOUND if the guest is gone
   */
  synchronized boolean rehandle(DomId domid, UUID uuid) {
    Entry entry = byDomid.get(domid);
    if (entry == null) {
      throw notFound(new GuestRef(domid.toString()));
    }
    if (byDomid.values().stream().anyMatch(e -> e != entry && e.guest().uuid().equals(uuid))) {
      return false;
    }
    byDomid.put(domid, new Entry(entry.guest().rehandled(uuid), entry.state()));
    return true;
  }

  /**
   * Adds a guest in {@code state}; with a reservation, under the name it reserved (and the
   * reservation ends). Its domid stops being another domain's (a shell's, say).
   */
  synchronized void register(Guest guest, State state, Optional<Reservation> reservation) {
    reservation.ifPresent(
        r -> {
          if (!r.open || !r.name.equals(guest.name())) {
            throw new IllegalStateException("not a reservation of " + guest.name());
          }
          r.open = false;
          reserved.remove(r.name);
        });
    if (byName.containsKey(guest.name()) || byDomid.containsKey(guest.domid())) {
      throw new IllegalStateException(guest.name() + " (domain " + guest.domid() + ") is known");
    }
    forgetOther(guest.domid());
    byDomid.put(guest.domid(), new Entry(guest, state));
    byName.put(guest.name(), guest.domid());
  }

  /** The guest a request names, by name or domid. */
  synchronized Guest resolve(GuestRef ref) {
    return find(ref)
        .orElseThrow(
            () -> {
              if (ref.isDomid() && ref.domid() == 0) {
                return new ChaosException(
                    ErrorCode.WRONG_STATE, "Domain-0 is not a guest chaos manages");
              }
              return notFound(ref);
            });
  }

  synchronized Optional<Guest> find(GuestRef ref) {
    DomId domid;
    if (ref.isDomid()) {
      try {
        domid = DomId.of(ref.domid());
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    } else {
      domid = byName.get(ref.text());
    }
    Entry entry = domid == null ? null : byDomid.get(domid);
    return entry == null ? Optional.empty() : Optional.of(entry.guest());
  }

  static ChaosException notFound(GuestRef ref) {
    return new ChaosException(
        ErrorCode.NOT_FOUND,
        "no chaos guest " + (ref.isDomid() ? "with domid " : "named ") + ref.text());
  }

  synchronized Optional<State> state(DomId domid) {
    Entry entry = byDomid.get(domid);
    return entry == null ? Optional.empty() : Optional.of(entry.state());
  }

  /**
   * The guest's state, if it is one of {@code allowed}.
   *
   * @throws ChaosException WRONG_STATE naming what {@code operation} needs, NOT_FOUND if the guest
   *     is gone
   */
  synchronized State require(Guest guest, Set<State> allowed, String operation) {
    Entry entry = byDomid.get(guest.domid());
    if (entry == null) {
      throw notFound(new GuestRef(guest.name()));
    }
    if (!allowed.contains(entry.state())) {
      throw new ChaosException(
          ErrorCode.WRONG_STATE,
          "cannot "
              + operation
              + " "
              + guest.name()
              + ": it is "
              + entry.state().word()
              + " (needs "
              + words(allowed)
              + ")");
    }
    return entry.state();
  }

  /** Moves the guest from {@code from} to {@code to}; false if it was not in {@code from}. */
  synchronized boolean transition(DomId domid, State from, State to) {
    Entry entry = byDomid.get(domid);
    if (entry == null || entry.state() != from) {
      return false;
    }
    byDomid.put(domid, new Entry(entry.guest(), to));
    return true;
  }

  /**
   * Moves the guest to {@code to} from any of {@code from}; its state before, or empty if it was in
   * none of them (or is not known). What lets one of several threads claim a guest's ending.
   */
  synchronized Optional<State> claim(DomId domid, Set<State> from, State to) {
    Entry entry = byDomid.get(domid);
    if (entry == null || !from.contains(entry.state())) {
      return Optional.empty();
    }
    byDomid.put(domid, new Entry(entry.guest(), to));
    return Optional.of(entry.state());
  }

  /** Forgets a guest; false if it was not known (another thread forgot it first). */
  synchronized boolean forget(DomId domid) {
    Entry entry = byDomid.remove(domid);
    if (entry == null) {
      return false;
    }
    byName.remove(entry.guest().name());
    return true;
  }

  /** The guests, in no order. */
  synchronized List<Guest> guests() {
    List<Guest> list = new ArrayList<>();
    byDomid.values().forEach(entry -> list.add(entry.guest()));
    return list;
  }

  synchronized boolean isGuest(DomId domid) {
    return byDomid.containsKey(domid);
  }

  /** Whether a domain is known at all, as a guest or as another domain. */
  synchronized boolean knows(DomId domid) {
    return byDomid.containsKey(domid) || others.containsKey(domid);
  }

  /** A guest with this UUID, if any. */
  synchronized Optional<Guest> withUuid(UUID uuid) {
    return byDomid.values().stream()
        .map(Entry::guest)
        .filter(g -> g.uuid().equals(uuid))
        .findFirst();
  }

  /** Whether a guest holds this UUID, in a state other than {@code yielding}. */
  synchronized boolean holds(UUID uuid, Set<State> yielding) {
    return byDomid.values().stream()
        .anyMatch(e -> e.guest().uuid().equals(uuid) && !yielding.contains(e.state()));
  }

  /**
   * Records a domain that is not a guest of this engine and the name it holds (may be empty);
   * {@code listed} is false for chaos's shells and half-built domains, which {@code list} hides.
   */
  synchronized void learnOther(DomId domid, String name, boolean listed) {
    if (byDomid.containsKey(domid)) {
      return;
    }
    boolean hidden = unlisted.contains(domid);
    forgetOther(domid);
    others.put(domid, name);
    if (!listed || hidden) { // a later look cannot list what the engine hid (its own shells)
      unlisted.add(domid);
    }
    if (!name.isEmpty()) {
      otherNames.computeIfAbsent(name, n -> new HashSet<>()).add(domid);
    }
  }

  /** Another domain that holds {@code name}, if one is known. */
  synchronized Optional<DomId> otherNamed(String name) {
    Set<DomId> holders = otherNames.get(name);
    return holders == null ? Optional.empty() : holders.stream().findFirst();
  }

  /** What is known of a domain for a listing: a guest, another domain, a hidden one, or nothing. */
  record Listing(String name, boolean listed, Optional<Guest> guest, Optional<State> state) {}

  synchronized Optional<Listing> listing(DomId domid) {
    Entry entry = byDomid.get(domid);
    if (entry != null) {
      return Optional.of(
          new Listing(
              entry.guest().name(),
              entry.state() != State.BUILDING,
              Optional.of(entry.guest()),
              Optional.of(entry.state())));
    }
    String name = others.get(domid);
    return name == null
        ? Optional.empty()
        : Optional.of(
            new Listing(name, !unlisted.contains(domid), Optional.empty(), Optional.empty()));
  }

  /**
   * Forgets the other domains that are not in {@code live}; returns the guests that are not either
   * (their domain is gone), which the caller forgets after cleaning up after them.
   */
  synchronized List<Guest> retainOnly(Set<DomId> live) {
    for (DomId domid : new ArrayList<>(others.keySet())) {
      if (!live.contains(domid)) {
        forgetOther(domid);
      }
    }
    List<Guest> gone = new ArrayList<>();
    byDomid.forEach(
        (domid, entry) -> {
          if (!live.contains(domid) && entry.state() != State.SAVED) {
            gone.add(entry.guest());
          }
        });
    return gone;
  }

  private void forgetOther(DomId domid) {
    unlisted.remove(domid);
    String name = others.remove(domid);
    if (name != null) {
      Set<DomId> holders = otherNames.get(name);
      if (holders != null) {
        holders.remove(domid);
        if (holders.isEmpty()) {
          otherNames.remove(name);
        }
      }
    }
  }

  private static String words(Set<State> states) {
    List<String> words = new ArrayList<>();
    EnumSet.copyOf(states).forEach(s -> words.add(s.word()));
    return String.join(" or ", words);
  }
}
