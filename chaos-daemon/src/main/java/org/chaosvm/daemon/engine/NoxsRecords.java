package org.chaosvm.daemon.engine;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  /**
   * jackson-core's streaming API, not data binding: data binding's start (some 300 classes) was
   * seconds of every daemon's start under the rig's emulation.
   */
  private static final JsonFactory JSON = new JsonFactory();

  private final Path dir;

  NoxsRecords(Path dir) {
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  void write(Entry entry) {
    try {
      replace(file(entry.domid()), encode(entry));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record domain " + entry.domid() + " in " + dir, e);
    }
  }

  /**
   * Checks, at the daemon's start rather than at its first noxs create, that records can be kept: a
   * record is written and removed the way a guest's is (its folder made, a file written aside and
   * renamed). That also loads what writing one needs, which the first create would otherwise wait
   * for (most of a second under the rig's emulation).
   */
  void check() {
    Path probe = dir.resolve("check.probe");
    try {
      replace(probe, encode(new Entry(0, "", "", STATE_BUILDING, "", "", "", "", 0, 0)));
      Files.delete(probe);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep noxs records in " + dir, e);
    }
  }

  /**
   * Replaces {@code file} whole: written aside, then renamed over it. The folder is made when it is
   * missing, not looked for every time: under the rig's emulation each system call of a PV Dom0
   * costs a fraction of a millisecond.
   */
  private void replace(Path file, byte[] bytes) throws IOException {
    Path aside = dir.resolve(file.getFileName() + ".tmp");
    try {
      Files.write(aside, bytes);
    } catch (NoSuchFileException e) {
      Files.createDirectories(dir);
      Files.write(aside, bytes);
    }
    try {
      Files.move(aside, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(aside, file, StandardCopyOption.REPLACE_EXISTING);
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
          entries.add(decode(Files.readAllBytes(file)));
        } catch (JsonProcessingException | IllegalArgumentException e) {
          log.warn("removing {}, an unreadable noxs record: {}", file, e.getMessage());
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

  static byte[] encode(Entry entry) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JsonGenerator out = JSON.createGenerator(bytes)) {
      out.writeStartObject();
      out.writeNumberField("domid", entry.domid());
      out.writeStringField("uuid", entry.uuid());
      out.writeStringField("name", entry.name());
      out.writeStringField("state", entry.state());
      out.writeStringField("onPoweroff", entry.onPoweroff());
      out.writeStringField("onReboot", entry.onReboot());
      out.writeStringField("onCrash", entry.onCrash());
      out.writeStringField("config", entry.config());
      out.writeNumberField("consolePort", entry.consolePort());
      out.writeNumberField("consoleFrame", entry.consoleFrame());
      out.writeEndObject();
    }
    return bytes.toByteArray();
  }

  /** A record read back; unknown fields are skipped (a later version's), missing ones refused. */
  static Entry decode(byte[] json) throws IOException {
    Map<String, Object> fields = new HashMap<>();
    try (JsonParser in = JSON.createParser(json)) {
      if (in.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      while (in.nextToken() == JsonToken.FIELD_NAME) {
        String name = in.getCurrentName();
        JsonToken value = in.nextToken();
        if (value == JsonToken.VALUE_NUMBER_INT) {
          fields.put(name, in.getLongValue());
        } else if (value == JsonToken.VALUE_STRING) {
          fields.put(name, in.getText());
        } else {
          in.skipChildren();
        }
      }
    }
    return new Entry(
        (int) number(fields, "domid"),
        text(fields, "uuid"),
        text(fields, "name"),
        text(fields, "state"),
        text(fields, "onPoweroff"),
        text(fields, "onReboot"),
        text(fields, "onCrash"),
        text(fields, "config"),
        (int) number(fields, "consolePort"),
        number(fields, "consoleFrame"));
  }

  private static long number(Map<String, Object> fields, String name) {
    if (fields.get(name) instanceof Long value) {
      return value;
    }
    throw new IllegalArgumentException("no number " + name);
  }

  private static String text(Map<String, Object> fields, String name) {
    if (fields.get(name) instanceof String value) {
      return value;
    }
    throw new IllegalArgumentException("no text " + name);
  }

  private Path file(int domid) {
    return dir.resolve(domid + ".json");
  }
}
