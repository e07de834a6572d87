package org.chaosvm.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Encodes and decodes the protocol's messages: one JSON object a line, at most {@link
 * Protocol#MAX_MESSAGE_BYTES}; unknown fields, duplicate keys, missing fields, wrong types and
 * trailing data are refused.
 *
 * <p>Written on jackson-core's streaming parser and generator rather than on data binding: the
 * {@code chaos} command is a short-lived client, and data binding's start-up (some 600 classes) was
 * most of what a command that talks to the daemon cost beyond the JVM's own start.
 */
public final class Codec {
  private static final JsonFactory JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** A message that is not one of the protocol: its text says what is wrong. */
  public static final class MalformedMessage extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedMessage(String message) {
      super(message);
    }
  }

  private Codec() {}

  /** The message as one line of JSON, its '\n' included. */
  public static byte[] encode(Object message) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (JsonGenerator out = JSON.createGenerator(bytes)) {
      out.writeStartObject();
      if (message instanceof Request request) {
        writeRequest(out, request);
      } else if (message instanceof Reply reply) {
        writeReply(out, reply);
      } else {
        throw new IllegalArgumentException("not a message of the protocol: " + message);
      }
      out.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    bytes.write('\n');
    return bytes.toByteArray();
  }

  public static Request decodeRequest(byte[] line) throws MalformedMessage {
    Fields fields = parse(line);
    String op = fields.optionalString("op");
    int version = fields.integer("version");
    if (version != Protocol.VERSION) {
      throw new MalformedMessage(
          "protocol version "
              + version
              + " is not spoken here (this daemon speaks "
              + Protocol.VERSION
              + ")");
    }
    Request request =
        switch (op == null ? "" : op) {
          case "create" ->
              new Request.Create(
                  version,
                  fields.string("configPath"),
                  fields.string("configText"),
                  fields.bool("paused"),
                  fields.optionalInteger("instance"));
          case "destroy" -> new Request.Destroy(version, fields.guest("guest"));
          case "shutdown" ->
              new Request.Shutdown(version, fields.guest("guest"), fields.bool("await"));
          case "reboot" -> new Request.Reboot(version, fields.guest("guest"));
          case "pause" -> new Request.Pause(version, fields.guest("guest"));
          case "unpause" -> new Request.Unpause(version, fields.guest("guest"));
          case "list" -> new Request.ListGuests(version);
          case "console" -> new Request.Console(version, fields.guest("guest"));
          case "info" -> new Request.Info(version);
          case "pool-set" -> new Request.SetPool(version, intMap(fields.object("targets")));
          case "network-attach", "block-attach" ->
              new Request.AttachDevice(
                  version, fields.guest("guest"), kindOf(op), fields.string("spec"));
          case "network-detach", "block-detach" ->
              new Request.DetachDevice(
                  version,
                  fields.guest("guest"),
                  kindOf(op),
                  fields.string("device"),
                  fields.bool("force"));
          case "network-list", "block-list" ->
              new Request.ListDevices(version, fields.guest("guest"), kindOf(op));
          case "save" ->
              new Request.Save(
                  version,
                  fields.guest("guest"),
                  fields.bool("keep"),
                  fields.bool("live"),
                  fields.optionalBool("hold"),
                  fields.optionalString("file"));
          case "restore" ->
              new Request.Restore(
                  version,
                  fields.optionalString("name"),
                  fields.bool("paused"),
                  fields.optionalBool("hold"),
                  fields.optionalString("file"),
                  fields.optionalBool("unframed"));
          case "relay" -> new Request.Relay(version, fields.string("input"));
          case "commit" -> new Request.Decision(version, true, fields.bool("paused"));
          case "abort" -> new Request.Decision(version, false, false);
          default -> throw new MalformedMessage("unknown or missing \"op\": " + op);
        };
    fields.requireAllRead();
    return request;
  }

  public static Reply decodeReply(byte[] line) throws MalformedMessage {
    Fields fields = parse(line);
    String kind = fields.optionalString("reply");
    Reply reply =
        switch (kind == null ? "" : kind) {
          case "created" -> {
            Fields phases = fields.object("phasesMs");
            Map<String, Double> phasesMs = new LinkedHashMap<>();
            for (String phase : phases.keys()) {
              phasesMs.put(phase, phases.number(phase));
            }
            yield new Reply.Created(
                fields.integer("domid"), fields.string("name"), fields.bool("fromPool"), phasesMs);
          }
          case "done" -> new Reply.Done(fields.string("message"));
          case "image" ->
              new Reply.Image(
                  fields.integer("domid"), fields.string("name"), fields.optionalBool("toFile"));
          case "send-image" -> new Reply.SendImage(fields.string("why"));
          case "console" ->
              new Reply.Console(
                  fields.integer("domid"), fields.string("name"), fields.bool("streamed"));
          case "guests" -> {
            List<Reply.GuestInfo> guests = new ArrayList<>();
            for (Fields guest : fields.objects("guests")) {
              guests.add(
                  new Reply.GuestInfo(
                      guest.integer("domid"),
                      guest.string("name"),
                      guest.integer("memoryMib"),
                      guest.integer("vcpus"),
                      guest.string("state"),
                      guest.optionalNumber("bootMs"),
                      guest.optionalString("bootloader")));
              guest.requireAllRead();
            }
            yield new Reply.Guests(guests);
          }
          case "info" -> {
            Fields classes = fields.object("pool");
            Map<String, Reply.PoolClass> pool = new LinkedHashMap<>();
            for (String size : classes.keys()) {
              Fields counts = classes.object(size);
              pool.put(
                  size, new Reply.PoolClass(counts.integer("ready"), counts.integer("target")));
              counts.requireAllRead();
            }
            yield new Reply.HostInfo(
                fields.longInteger("totalMib"),
                fields.longInteger("freeMib"),
                fields.integer("cpus"),
                pool);
          }
          case "devices" -> {
            List<Reply.DeviceInfo> devices = new ArrayList<>();
            for (Fields device : fields.objects("devices")) {
              Fields settings = device.object("settings");
              Map<String, String> values = new LinkedHashMap<>();
              for (String key : settings.keys()) {
                values.put(key, settings.string(key));
              }
              devices.add(
                  new Reply.DeviceInfo(
                      device.integer("devid"),
                      device.string("name"),
                      device.integer("backendState"),
                      device.integer("frontendState"),
                      values));
              device.requireAllRead();
            }
            yield new Reply.Devices(devices);
          }
          case "error" -> new Reply.Error(fields.errorCode("code"), fields.string("message"));
          default -> throw new MalformedMessage("unknown or missing \"reply\": " + kind);
        };
    fields.requireAllRead();
    return reply;
  }

  /**
   * Reads one line (without its '\n'), or empty at the end of the stream.
   *
   * @throws MalformedMessage when the line is longer than the protocol allows
   */
  public static Optional<byte[]> readLine(InputStream in) throws IOException, MalformedMessage {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      int b = in.read();
      if (b < 0) {
        if (line.size() > 0) {
          throw new MalformedMessage("the message ends without a newline");
        }
        return Optional.empty();
      }
      if (b == '\n') {
        return Optional.of(line.toByteArray());
      }
      if (line.size() >= Protocol.MAX_MESSAGE_BYTES) {
        throw new MalformedMessage("message longer than " + Protocol.MAX_MESSAGE_BYTES + " bytes");
      }
      line.write(b);
    }
  }

  public static void write(OutputStream out, Object message) throws IOException {
    out.write(encode(message));
    out.flush();
  }

  private static void writeRequest(JsonGenerator out, Request request) throws IOException {
    if (request instanceof Request.Create create) {
      writeHead(out, "create", create);
      out.writeStringField("configPath", create.configPath());
      out.writeStringField("configText", create.configText());
      out.writeBooleanField("paused", create.paused());
      if (create.instance() != null) {
        out.writeNumberField("instance", create.instance());
      }
    } else if (request instanceof Request.Destroy destroy) {
      writeHead(out, "destroy", destroy, destroy.guest());
    } else if (request instanceof Request.Shutdown shutdown) {
      writeHead(out, "shutdown", shutdown, shutdown.guest());
      out.writeBooleanField("await", shutdown.await());
    } else if (request instanceof Request.Reboot reboot) {
      writeHead(out, "reboot", reboot, reboot.guest());
    } else if (request instanceof Request.Pause pause) {
      writeHead(out, "pause", pause, pause.guest());
    } else if (request instanceof Request.Unpause unpause) {
      writeHead(out, "unpause", unpause, unpause.guest());
    } else if (request instanceof Request.ListGuests list) {
      writeHead(out, "list", list);
    } else if (request instanceof Request.Console console) {
      writeHead(out, "console", console, console.guest());
    } else if (request instanceof Request.Info info) {
      writeHead(out, "info", info);
    } else if (request instanceof Request.SetPool pool) {
      writeHead(out, "pool-set", pool);
      out.writeObjectFieldStart("targets");
      for (Map.Entry<String, Integer> target : pool.targets().entrySet()) {
        out.writeNumberField(target.getKey(), target.getValue());
      }
      out.writeEndObject();
    } else if (request instanceof Request.AttachDevice attach) {
      writeHead(out, attach.kind().command() + "-attach", attach, attach.guest());
      out.writeStringField("spec", attach.spec());
    } else if (request instanceof Request.DetachDevice detach) {
      writeHead(out, detach.kind().command() + "-detach", detach, detach.guest());
      out.writeStringField("device", detach.device());
      out.writeBooleanField("force", detach.force());
    } else if (request instanceof Request.ListDevices list) {
      writeHead(out, list.kind().command() + "-list", list, list.guest());
    } else if (request instanceof Request.Save save) {
      writeHead(out, "save", save, save.guest());
      out.writeBooleanField("keep", save.keep());
      out.writeBooleanField("live", save.live());
      if (save.hold()) {
        out.writeBooleanField("hold", true);
      }
      if (save.file() != null) {
        out.writeStringField("file", save.file());
      }
    } else if (request instanceof Request.Restore restore) {
      writeHead(out, "restore", restore);
      if (restore.name() != null) {
        out.writeStringField("name", restore.name());
      }
      out.writeBooleanField("paused", restore.paused());
      if (restore.hold()) {
        out.writeBooleanField("hold", true);
      }
      if (restore.file() != null) {
        out.writeStringField("file", restore.file());
      }
      if (restore.unframed()) {
        out.writeBooleanField("unframed", true);
      }
    } else if (request instanceof Request.Relay relay) {
      writeHead(out, "relay", relay);
      out.writeStringField("input", relay.input());
    } else if (request instanceof Request.Decision decision) {
      writeHead(out, decision.commit() ? "commit" : "abort", decision);
      if (decision.commit()) {
        out.writeBooleanField("paused", decision.paused());
      }
    } else {
      throw new IllegalArgumentException("not a request of the protocol: " + request);
    }
  }

  /** The kind of device an op such as {@code network-attach} is about. */
  private static DeviceKind kindOf(String op) {
    return DeviceKind.ofCommand(op.substring(0, op.indexOf('-')));
  }

  /** The fields every request starts with: {@code op} and {@code version}. */
  private static void writeHead(JsonGenerator out, String op, Request request) throws IOException {
    out.writeStringField("op", op);
    out.writeNumberField("version", request.version());
  }

  /** The head of a request about one guest, and its {@code guest}. */
  private static void writeHead(JsonGenerator out, String op, Request request, GuestRef guest)
      throws IOException {
    writeHead(out, op, request);
    out.writeStringField("guest", guest.text());
  }

  private static void writeReply(JsonGenerator out, Reply reply) throws IOException {
    if (reply instanceof Reply.Created created) {
      out.writeStringField("reply", "created");
      out.writeNumberField("domid", created.domid());
      out.writeStringField("name", created.name());
      out.writeBooleanField("fromPool", created.fromPool());
      out.writeObjectFieldStart("phasesMs");
      for (Map.Entry<String, Double> phase : created.phasesMs().entrySet()) {
        out.writeNumberField(phase.getKey(), phase.getValue());
      }
      out.writeEndObject();
    } else if (reply instanceof Reply.Done done) {
      out.writeStringField("reply", "done");
      out.writeStringField("message", done.message());
    } else if (reply instanceof Reply.Image image) {
      out.writeStringField("reply", "image");
      out.writeNumberField("domid", image.domid());
      out.writeStringField("name", image.name());
      if (image.toFile()) {
        out.writeBooleanField("toFile", true);
      }
    } else if (reply instanceof Reply.SendImage send) {
      out.writeStringField("reply", "send-image");
      out.writeStringField("why", send.why());
    } else if (reply instanceof Reply.Console console) {
      out.writeStringField("reply", "console");
      out.writeNumberField("domid", console.domid());
      out.writeStringField("name", console.name());
      out.writeBooleanField("streamed", console.streamed());
    } else if (reply instanceof Reply.Guests guests) {
      out.writeStringField("reply", "guests");
      out.writeArrayFieldStart("guests");
      for (Reply.GuestInfo guest : guests.guests()) {
        out.writeStartObject();
        out.writeNumberField("domid", guest.domid());
        out.writeStringField("name", guest.name());
        out.writeNumberField("memoryMib", guest.memoryMib());
        out.writeNumberField("vcpus", guest.vcpus());
        out.writeStringField("state", guest.state());
        if (guest.bootMs() != null) {
          out.writeNumberField("bootMs", guest.bootMs());
        }
        if (guest.bootloader() != null) {
          out.writeStringField("bootloader", guest.bootloader());
        }
        out.writeEndObject();
      }
      out.writeEndArray();
    } else if (reply instanceof Reply.HostInfo info) {
      out.writeStringField("reply", "info");
      out.writeNumberField("totalMib", info.totalMib());
      out.writeNumberField("freeMib", info.freeMib());
      out.writeNumberField("cpus", info.cpus());
      out.writeObjectFieldStart("pool");
      for (Map.Entry<String, Reply.PoolClass> size : info.pool().entrySet()) {
        out.writeObjectFieldStart(size.getKey());
        out.writeNumberField("ready", size.getValue().ready());
        out.writeNumberField("target", size.getValue().target());
        out.writeEndObject();
      }
      out.writeEndObject();
    } else if (reply instanceof Reply.Devices devices) {
      out.writeStringField("reply", "devices");
      out.writeArrayFieldStart("devices");
      for (Reply.DeviceInfo device : devices.devices()) {
        out.writeStartObject();
        out.writeNumberField("devid", device.devid());
        out.writeStringField("name", device.name());
        out.writeNumberField("backendState", device.backendState());
        out.writeNumberField("frontendState", device.frontendState());
        out.writeObjectFieldStart("settings");
        for (Map.Entry<String, String> setting : device.settings().entrySet()) {
          out.writeStringField(setting.getKey(), setting.getValue());
        }
        out.writeEndObject();
        out.writeEndObject();
      }
      out.writeEndArray();
    } else if (reply instanceof Reply.Error error) {
      out.writeStringField("reply", "error");
      out.writeStringField("code", error.code().name());
      out.writeStringField("message", error.message());
    }
  }

  private static Map<String, Integer> intMap(Fields fields) throws MalformedMessage {
    Map<String, Integer> map = new LinkedHashMap<>();
    for (String key : fields.keys()) {
      map.put(key, fields.integer(key));
    }
    return map;
  }

  /** The line's one JSON object, its values as String, Long, Double, Boolean, null, List, Map. */
  private static Fields parse(byte[] line) throws MalformedMessage {
    try (JsonParser in = JSON.createParser(line)) {
      JsonToken first = in.nextToken();
      if (first == null) {
        throw new MalformedMessage("empty message: expected a JSON object");
      }
      if (first != JsonToken.START_OBJECT) {
        throw new MalformedMessage("not a valid message: expected a JSON object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> object = (Map<String, Object>) value(in);
      if (in.nextToken() != null) {
        throw new MalformedMessage("not a valid message: data after the JSON object");
      }
      return new Fields("", object);
    } catch (JsonProcessingException e) {
      throw new MalformedMessage("not a valid message: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new MalformedMessage("not a valid message: " + e.getMessage());
    }
  }

  /** The value at the parser's current token (which has been read). */
  private static Object value(JsonParser in) throws IOException {
    switch (in.currentToken()) {
      case START_OBJECT -> {
        Map<String, Object> object = new LinkedHashMap<>();
        while (in.nextToken() == JsonToken.FIELD_NAME) {
          String key = in.currentName();
          in.nextToken();
          object.put(key, value(in));
        }
        return object;
      }
      case START_ARRAY -> {
        List<Object> list = new ArrayList<>();
        while (in.nextToken() != JsonToken.END_ARRAY) {
          list.add(value(in));
        }
        return list;
      }
      case VALUE_STRING -> {
        return in.getText();
      }
      case VALUE_NUMBER_INT -> {
        return in.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? (Object) in.getDoubleValue()
            : (Object) in.getLongValue();
      }
      case VALUE_NUMBER_FLOAT -> {
        return in.getDoubleValue();
      }
      case VALUE_TRUE -> {
        return Boolean.TRUE;
      }
      case VALUE_FALSE -> {
        return Boolean.FALSE;
      }
      case VALUE_NULL -> {
        return null;
      }
      default -> throw new JsonParseException(in, "unexpected " + in.currentToken());
    }
  }

  /** One JSON object's fields, read by name and type; what is left unread is an unknown field. */
  private static final class Fields {
    private final String path;
    private final Map<String, Object> values;
    private final Set<String> read = new HashSet<>();

    Fields(String path, Map<String, Object> values) {
      this.path = path;
      this.values = values;
    }

    Set<String> keys() {
      read.addAll(values.keySet());
      return values.keySet();
    }

    private Object required(String key) throws MalformedMessage {
      read.add(key);
      Object value = values.get(key);
      if (value == null) {
        throw new MalformedMessage("missing field '" + path + key + "'");
      }
      return value;
    }

    private MalformedMessage wrongType(String key, String expected) {
      return new MalformedMessage("field '" + path + key + "' must be " + expected);
    }

    String string(String key) throws MalformedMessage {
      if (required(key) instanceof String text) {
        return text;
      }
      throw wrongType(key, "a string");
    }

    /** The string, or null when the field is absent or null. */
    String optionalString(String key) throws MalformedMessage {
      read.add(key);
      Object value = values.get(key);
      if (value == null || value instanceof String) {
        return (String) value;
      }
      throw wrongType(key, "a string");
    }

    /** The whole number, or null when the field is absent or null. */
    Integer optionalInteger(String key) throws MalformedMessage {
      read.add(key);
      if (values.get(key) == null) {
        return null;
      }
      return integer(key);
    }

    long longInteger(String key) throws MalformedMessage {
      if (required(key) instanceof Long number) {
        return number;
      }
      throw wrongType(key, "a whole number");
    }

    int integer(String key) throws MalformedMessage {
      long number = longInteger(key);
      if (number < Integer.MIN_VALUE || number > Integer.MAX_VALUE) {
        throw wrongType(key, "a whole number of 32 bits");
      }
      return (int) number;
    }

    double number(String key) throws MalformedMessage {
      Object value = required(key);
      if (value instanceof Long number) {
        return number;
      }
      if (value instanceof Double number) {
        return number;
      }
      throw wrongType(key, "a number");
    }

    /** The number, or null when the field is absent or null. */
    Double optionalNumber(String key) throws MalformedMessage {
      read.add(key);
      Object value = values.get(key);
      if (value == null) {
        return null;
      }
      return number(key);
    }

    boolean bool(String key) throws MalformedMessage {
      if (required(key) instanceof Boolean flag) {
        return flag;
      }
      throw wrongType(key, "true or false");
    }

    /** The flag, false when the field is absent (one added after its request). */
    boolean optionalBool(String key) throws MalformedMessage {
      read.add(key);
      return values.get(key) != null && bool(key);
    }

    GuestRef guest(String key) throws MalformedMessage {
      try {
        return new GuestRef(string(key));
      } catch (IllegalArgumentException e) {
        throw new MalformedMessage("field '" + path + key + "': " + e.getMessage());
      }
    }

    ErrorCode errorCode(String key) throws MalformedMessage {
      String code = string(key);
      try {
        return ErrorCode.valueOf(code);
      } catch (IllegalArgumentException e) {
        throw new MalformedMessage("unknown error code '" + code + "'");
      }
    }

    @SuppressWarnings("unchecked")
    Fields object(String key) throws MalformedMessage {
      if (required(key) instanceof Map<?, ?> object) {
        return new Fields(path + key + ".", (Map<String, Object>) object);
      }
      throw wrongType(key, "an object");
    }

    @SuppressWarnings("unchecked")
    List<Fields> objects(String key) throws MalformedMessage {
      if (!(required(key) instanceof List<?> list)) {
        throw wrongType(key, "a list");
      }
      List<Fields> objects = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        if (!(list.get(i) instanceof Map<?, ?> object)) {
          throw wrongType(key + "[" + i + "]", "an object");
        }
        objects.add(new Fields(path + key + "[" + i + "].", (Map<String, Object>) object));
      }
      return objects;
    }

    void requireAllRead() throws MalformedMessage {
      for (String key : values.keySet()) {
        if (!read.contains(key)) {
          throw new MalformedMessage("unknown field '" + path + key + "'");
        }
      }
    }
  }
}
