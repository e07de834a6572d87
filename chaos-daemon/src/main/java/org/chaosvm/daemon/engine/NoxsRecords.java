package org.chaosvm.daemon.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.chaosvm.libxc.DomId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * chaos's record of each noxs guest, kept on disk as XenStore guests' is kept under their {@code
 * chaos/} node: one JSON file per domain in a folder only root may write, replaced whole (written
 * aside, then renamed), so that a daemon killed at any point leaves either the old record or the
 * new one.
 */
final class NoxsRecords {
  private static final Logger log = LoggerFactory.getLogger(NoxsRecords.class);

  static final String STATE_BUILDING = DomainLayout.STATE_BUILDING;
  static final String STATE_RUNNING = DomainLayout.STATE_RUNNING;

  /**
   * One domain's record.
   *
   * @param config the guest's config text, for on_reboot = restart (empty while building)
   * @param consolePort the guest's console event channel (its end), for the console's back end
   * @param consoleFrame the machine frame of the guest's console ring
   */
  record Entry(
      int domid,
      String uuid,
      String name,
      String state,
      String onPoweroff,
      String onReboot,
      String onCrash,
      String config,
      int consolePort,
      long consoleFrame) {}

  private static final ObjectMapper MAPPER =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path dir;

  NoxsRecords(Path dir) {
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  void write(Entry entry) {
    try {
      Files.createDirectories(dir);
      Path file = file(entry.domid());
      Path aside = dir.resolve(entry.domid() + ".json.tmp");
      Files.write(aside, MAPPER.writeValueAsBytes(entry));
      try {
        Files.move(
            aside, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(aside, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record domain " + entry.domid() + " in " + dir, e);
    }
  }

  /** Every readable record; an unreadable one is logged and removed. */
  List<Entry> readAll() {
    List<Entry> entries = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return entries;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path file : files) {
        try {
          entries.add(MAPPER.readValue(file.toFile(), Entry.class));
        } catch (JsonProcessingException e) {
          log.warn("removing {}, an unreadable noxs record: {}", file, e.getOriginalMessage());
          Files.deleteIfExists(file);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the noxs records in " + dir, e);
    }
    return entries;
  }

  void remove(DomId domid) {
    try {
      Files.deleteIfExists(file(domid.value()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove domain " + domid + "'s record in " + dir, e);
    }
  }

  private Path file(int domid) {
    return dir.resolve(domid + ".json");
  }
}
