package org.chaosvm.daemon.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.chaosvm.libxc.DomId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who created each guest that a user other than root created; root owns every other guest. Kept in
 * memory and, for a restarted daemon that adopts the guests, in the state folder: {@code
 * owners/DOMID} holds {@code UUID USER}. A record counts only for the domain of that UUID, so a
 * domid reused by another guest is root's until recorded again.
 */
final class GuestOwners {
  private static final Logger log = LoggerFactory.getLogger(GuestOwners.class);

  static final String ROOT = Caller.ROOT.name();

  private record Owner(UUID uuid, String user) {}

  private final Path dir;
  private final Map<DomId, Owner> owners = new ConcurrentHashMap<>();

  GuestOwners(Path stateDir) {
    this.dir = stateDir.resolve("owners");
  }

  /** The user that created {@code guest}; root for all it has no record of. */
  String ownerOf(Guest guest) {
    Owner owner = owners.get(guest.domid());
    return owner != null && owner.uuid().equals(guest.uuid()) ? owner.user() : ROOT;
  }

  /** Records {@code creator} as the guest's (nothing for root: the default). */
  void record(DomId domid, UUID uuid, Caller creator) {
    if (!creator.isRoot()) {
      write(domid, uuid, creator.name());
    }
  }

  /** The guest has another handle now: its record (if any) follows it. */
  void rehandle(DomId domid, UUID uuid) {
    Owner owner = owners.get(domid);
    if (owner != null) {
      write(domid, uuid, owner.user());
    }
  }

  private void write(DomId domid, UUID uuid, String user) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(domid.toString()), uuid + " " + user + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record the owner of domain " + domid, e);
    }
    owners.put(domid, new Owner(uuid, user));
  }

  /** The guest is gone: its record goes. */
  void forget(DomId domid) {
    if (owners.remove(domid) != null) {
      try {
        Files.deleteIfExists(dir.resolve(domid.toString()));
      } catch (IOException e) {
        log.warn("cannot remove the owner record of domain {}: {}", domid, e.getMessage());
      }
    }
  }

  /**
   * At a daemon's start: reads the records of {@code running} domains back, and removes those of
   * domains that are gone.
   */
  void load(Set<DomId> running) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        load(file, running);
      }
    } catch (IOException e) {
      log.warn("cannot read the owner records in {}: {}", dir, e.getMessage());
    }
  }

  private void load(Path file, Set<DomId> running) throws IOException {
    String name = file.getFileName().toString();
    DomId domid;
    try {
      domid = DomId.of(Integer.parseInt(name));
    } catch (RuntimeException e) {
      return; // not a record of ours
    }
    if (!running.contains(domid)) {
      Files.deleteIfExists(file);
      return;
    }
    String[] words = Files.readString(file, StandardCharsets.UTF_8).strip().split(" ", 2);
    try {
      owners.put(domid, new Owner(UUID.fromString(words[0]), words[1]));
    } catch (RuntimeException e) {
      log.warn("ignoring a broken owner record {}: {}", file, e.getMessage());
    }
  }
}
