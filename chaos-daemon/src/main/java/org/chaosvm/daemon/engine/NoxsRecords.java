package org.chaosvm.daemon.engine;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.chaosvm.libxc.DomId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * chaos's record of each noxs guest, kept on disk as XenStore guests' is kept under their {@code
 * chaos/} node: one JSON file per domain in a folder only root may write.
 *
 * <p>A shell's file is made empty in the prepare phase ({@link #reserve}), and the create fills it
 * with one write ({@link #write}): each system call of a PV Dom0 costs a fraction of a millisecond
 * under the rig's emulation, and opening, writing aside and renaming took 3 to 4 ms of a create. A
 * record is written once, before the domain takes the guest's handle: a daemon killed before or
 * during the write leaves a domain with a shell's handle, which a restarted daemon destroys, its
 * empty or torn record with it.
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
      long consoleFrame) {
    /**
     * The record of a held guest ({@link Mechanism#describe}) once it runs, named {@code to}, with
     * handle {@code handle}.
     */
    Entry confirmed(String to, String handle) {
      return new Entry(
          domid,
          handle,
          to,
          STATE_RUNNING,
          onPoweroff,
          onReboot,
          onCrash,
          config,
          consolePort,
          consoleFrame);
    }
  }

  /**
   * jackson-core's streaming API, not data binding: data binding's start (some 300 classes) was
   * seconds of every daemon's start under the rig's emulation.
   */
  private static final JsonFactory JSON = new JsonFactory();

  private final Path dir;
  private final Map<DomId, Slot> slots = new ConcurrentHashMap<>();

  NoxsRecords(Path dir) {
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  /** A domain's record file, open from the prepare phase until the record is removed. */
  private static final class Slot implements AutoCloseable {
    private final FileChannel file;

    private Slot(FileChannel file) {
      this.file = file;
    }

    /** Writes the record: one write, at the file's start (it is empty). */
    void fill(Entry entry) {
      try {
        ByteBuffer bytes = ByteBuffer.wrap(encode(entry));
        long at = 0;
        while (bytes.hasRemaining()) {
          at += file.write(bytes, at);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot record domain " + entry.domid(), e);
      }
    }

    @Override
    public void close() {
      try {
        file.close();
      } catch (IOException e) {
        log.debug("closing a record: {}", e.getMessage());
      }
    }
  }

  /**
   * The prepare phase's share: makes a shell's record file, empty (replacing what a domain of the
   * same number left), and keeps it open for {@link #write}.
   */
  void reserve(DomId domid) {
    Slot slot = open(domid);
    Slot previous = slots.put(domid, slot);
    if (previous != null) {
      previous.close();
    }
  }

  /** Writes a domain's record into its file, reserved in the prepare phase or made now. */
  void write(Entry entry) {
    DomId domid = DomId.of(entry.domid());
    Slot slot = slots.get(domid);
    if (slot == null) {
      reserve(domid);
      slot = slots.get(domid);
    }
    slot.fill(entry);
  }

  private Slot open(DomId domid) {
    Path file = file(domid.value());
    try {
      return new Slot(open(file));
    } catch (NoSuchFileException e) {
      try {
        Files.createDirectories(dir);
        return new Slot(open(file));
      } catch (IOException again) {
        throw new UncheckedIOException(
            "cannot make domain " + domid + "'s record in " + dir, again);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make domain " + domid + "'s record in " + dir, e);
    }
  }

  private static FileChannel open(Path file) throws IOException {
    return FileChannel.open(
        file,
        StandardOpenOption.CREATE,
        StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  /**
   * Checks, at the daemon's start rather than at its first noxs create, that records can be kept: a
   * record is made, written and removed the way a guest's is. That also loads what writing one
   * needs, which the first create would otherwise wait for (most of a second under the rig's
   * emulation).
   */
  void check() {
    Path probe = dir.resolve("check.probe");
    try {
      Files.createDirectories(dir);
      try (FileChannel file = open(probe)) {
        file.write(
            ByteBuffer.wrap(encode(new Entry(0, "", "", STATE_BUILDING, "", "", "", "", 0, 0))), 0);
      }
      Files.delete(probe);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot keep noxs records in " + dir, e);
    }
  }

  /**
   * What the records folder holds, read in one pass: the readable records, and the domains whose
   * files are empty (shells, or guests killed before their record).
   */
  record Contents(List<Entry> entries, List<DomId> unwritten) {}

  /** Every readable record and every empty one; an unreadable one is logged and removed. */
  Contents readAll() {
    List<Entry> entries = new ArrayList<>();
    List<DomId> unwritten = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return new Contents(entries, unwritten);
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path file : files) {
        try {
          byte[] bytes = Files.readAllBytes(file);
          if (bytes.length > 0) {
            entries.add(decode(bytes));
            continue;
          }
          String name = file.getFileName().toString();
          String number = name.substring(0, name.length() - ".json".length());
          if (number.matches("[0-9]{1,5}")) {
            unwritten.add(DomId.of(Integer.parseInt(number)));
          }
        } catch (JsonProcessingException | IllegalArgumentException e) {
          log.warn("removing {}, an unreadable noxs record: {}", file, e.getMessage());
          Files.deleteIfExists(file);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the noxs records in " + dir, e);
    }
    return new Contents(entries, unwritten);
  }

  /** Closes and deletes a domain's record (or a shell's empty one). */
  void remove(DomId domid) {
    Slot slot = slots.remove(domid);
    if (slot != null) {
      slot.close();
    }
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
