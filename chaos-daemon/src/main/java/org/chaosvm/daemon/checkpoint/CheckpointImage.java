package org.chaosvm.daemon.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.engine.ChaosException;
import org.chaosvm.protocol.ErrorCode;

/**
 * The head of a chaos checkpoint image (docs/checkpoints.md): a fixed prefix and the guest's
 * record, followed by libxenguest's own stream ({@code xc_domain_save}'s, format v2) to the end of
 * the file.
 *
 * <pre>
 * offset  size  field
 *      0     8  magic, "CHAOSIMG"
 *      8     4  format version, little-endian: 1
 *     12     4  the record's length N in bytes, little-endian, at most 1 MiB
 *     16     N  the record: a JSON object, UTF-8
 *   16+N        libxenguest's stream
 * </pre>
 *
 * <p>A head that cannot be read is refused with what is wrong and the file's name: not a chaos
 * image (another magic), a newer format version, a truncated file, a record that is not the JSON
 * object expected. The record's fields are checked; fields it does not know are skipped.
 */
public final class CheckpointImage {
  private static final byte[] MAGIC = "CHAOSIMG".getBytes(StandardCharsets.US_ASCII);

  /** The format version this chaos writes and the newest it reads. */
  public static final int VERSION = 1;

  /** The most a record may take: a guest's config and its settings, far below it. */
  static final int MAX_RECORD = 1 << 20;

  private static final int PREFIX = 16;

  /**
   * The record is written and read with jackson-core's streaming API, as the protocol's messages
   * are: a first save or restore in a fresh daemon then pays no data binding's start (some 3 s
   * under TCG).
   */
  private static final JsonFactory JSON = new JsonFactory();

  private CheckpointImage() {}

  /**
   * What chaos keeps of a guest in its image, beside the memory and CPU state in libxenguest's
   * stream: enough to make it again in a shell of its size, with its devices (their MACs are its
   * config's, or made up again from its name as for any create).
   *
   * @param name the guest's name
   * @param uuid its handle in Xen (a restore keeps it unless told otherwise)
   * @param mechanism how its devices are set up
   * @param configPath where its config was read from, for messages
   * @param config its config's text
   */
  public record Guest(
      String name, String uuid, DeviceMechanism mechanism, String configPath, String config) {}

  /** Writes the head: prefix and record. libxenguest's stream is to follow. */
  public static void writeHead(OutputStream out, Guest guest) throws IOException {
    byte[] record = record(guest);
    if (record.length > MAX_RECORD) {
      throw new ChaosException(
          ErrorCode.BAD_REQUEST,
          "the record of "
              + guest.name()
              + " takes "
              + record.length
              + " bytes: an image's record takes at most "
              + MAX_RECORD);
    }
    ByteBuffer prefix = ByteBuffer.allocate(PREFIX).order(ByteOrder.LITTLE_ENDIAN);
    prefix.put(MAGIC).putInt(VERSION).putInt(record.length);
    out.write(prefix.array());
    out.write(record);
  }

  /** The head as bytes, for a file written at once. */
  public static byte[] head(Guest guest) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    writeHead(bytes, guest);
    return bytes.toByteArray();
  }

  /**
   * Reads the head of {@code what} (a file's name, for messages) from {@code in}, which is left at
   * the start of libxenguest's stream.
   */
  public static Guest readHead(InputStream in, String what) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] prefix = new byte[PREFIX];
    int got = data.readNBytes(prefix, 0, PREFIX);
    if (got < MAGIC.length || !Arrays.equals(prefix, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw bad(what + " is not a chaos image (it does not start with CHAOSIMG)");
    }
    if (got < PREFIX) {
      throw bad(what + " is truncated: it ends within its " + PREFIX + "-byte head");
    }
    ByteBuffer fields = ByteBuffer.wrap(prefix, MAGIC.length, 8).order(ByteOrder.LITTLE_ENDIAN);
    long version = Integer.toUnsignedLong(fields.getInt());
    long length = Integer.toUnsignedLong(fields.getInt());
    if (version > VERSION) {
      throw bad(
          what
              + " is an image of format version "
              + version
              + ", newer than this chaos reads ("
              + VERSION
              + "): restore it with the chaos that saved it, or a later one");
    }
    if (version == 0) {
      throw bad(what + " has format version 0: not a chaos image");
    }
    if (length > MAX_RECORD) {
      throw bad(
          what + " has a record of " + length + " bytes, more than " + MAX_RECORD + ": damaged");
    }
    byte[] record = new byte[(int) length];
    try {
      data.readFully(record);
    } catch (EOFException e) {
      throw bad(what + " is truncated: it ends within its record of " + length + " bytes");
    }
    return check(record, what);
  }

  /** The record's JSON: its fields that are set, as strings (the mechanism by its name). */
  private static byte[] record(Guest guest) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JsonGenerator out = JSON.createGenerator(bytes)) {
      out.writeStartObject();
      writeField(out, "name", guest.name());
      writeField(out, "uuid", guest.uuid());
      writeField(out, "mechanism", guest.mechanism() == null ? null : guest.mechanism().name());
      writeField(out, "configPath", guest.configPath());
      writeField(out, "config", guest.config());
      out.writeEndObject();
    }
    return bytes.toByteArray();
  }

  private static void writeField(JsonGenerator out, String field, String value) throws IOException {
    if (value != null) {
      out.writeStringField(field, value);
    }
  }

  private static final List<String> FIELDS =
      List.of("name", "uuid", "mechanism", "configPath", "config");

  private static DeviceMechanism mechanism(String name) {
    for (DeviceMechanism mechanism : DeviceMechanism.values()) {
      if (mechanism.name().equals(name)) {
        return mechanism;
      }
    }
    throw new IllegalArgumentException("no device mechanism " + name);
  }

  private static Guest check(byte[] record, String what) {
    Guest guest;
    try {
      guest = parse(record);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String why =
          e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
      throw bad(what + "'s record is not the JSON object of a guest: " + why);
    } catch (IOException e) {
      throw bad(what + "'s record cannot be read: " + e.getMessage());
    }
    if (guest == null) {
      throw bad(what + "'s record is empty (null)");
    }
    requireField(guest.name(), "name", what);
    requireField(guest.mechanism(), "mechanism", what);
    requireField(guest.config(), "config", what);
    return guest;
  }

  /**
   * The guest of a record: an object whose known fields are strings or null, the others skipped (a
   * later version's); null for a JSON null.
   *
   * @throws IllegalArgumentException for anything else, saying what
   */
  private static Guest parse(byte[] record) throws IOException {
    try (JsonParser in = JSON.createParser(record)) {
      JsonToken first = in.nextToken();
      if (first == JsonToken.VALUE_NULL) {
        return null;
      }
      if (first != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("it starts with " + first + ", not an object");
      }
      Map<String, String> fields = new HashMap<>();
      while (in.nextToken() == JsonToken.FIELD_NAME) {
        String field = in.getCurrentName();
        JsonToken value = in.nextToken();
        if (!FIELDS.contains(field)) {
          in.skipChildren();
        } else if (value == JsonToken.VALUE_STRING) {
          fields.put(field, in.getText());
        } else if (value != JsonToken.VALUE_NULL) {
          throw new IllegalArgumentException(field + " is " + value + ", not a string");
        }
      }
      String mechanism = fields.get("mechanism");
      return new Guest(
          fields.get("name"),
          fields.get("uuid"),
          mechanism == null ? null : mechanism(mechanism),
          fields.get("configPath"),
          fields.get("config"));
    }
  }

  private static void requireField(Object value, String field, String what) {
    if (value == null) {
      throw bad(what + "'s record has no " + field);
    }
  }

  private static ChaosException bad(String message) {
    return new ChaosException(ErrorCode.BAD_REQUEST, message);
  }
}
