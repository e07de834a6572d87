package org.chaosvm.daemon.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Encodes and decodes the protocol's messages: one JSON object a line, at most {@link
 * Protocol#MAX_MESSAGE_BYTES}, unknown fields and duplicate keys rejected.
 */
public final class Codec {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** A message that is not one of the protocol: its text says what is wrong. */
  public static final class MalformedMessage extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedMessage(String message) {
      super(message);
    }
  }

  private Codec() {}

  public static byte[] encode(Object message) {
    try {
      byte[] json = MAPPER.writeValueAsBytes(message);
      byte[] line = new byte[json.length + 1];
      System.arraycopy(json, 0, line, 0, json.length);
      line[json.length] = '\n';
      return line;
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Request decodeRequest(byte[] line) throws MalformedMessage {
    Request request = decode(line, Request.class);
    if (request.version() != Protocol.VERSION) {
      throw new MalformedMessage(
          "protocol version "
              + request.version()
              + " is not spoken here (this daemon speaks "
              + Protocol.VERSION
              + ")");
    }
    return request;
  }

  public static Reply decodeReply(byte[] line) throws MalformedMessage {
    return decode(line, Reply.class);
  }

  private static <T> T decode(byte[] line, Class<T> type) throws MalformedMessage {
    try {
      T message = MAPPER.readValue(line, type);
      if (message == null) {
        throw new MalformedMessage("empty message: expected a JSON object");
      }
      return message;
    } catch (UnrecognizedPropertyException e) {
      throw new MalformedMessage("unknown field '" + e.getPropertyName() + "'");
    } catch (InvalidTypeIdException e) {
      throw new MalformedMessage("unknown or missing \"op\": " + e.getTypeId());
    } catch (IOException e) {
      String text =
          e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
      throw new MalformedMessage("not a valid message: " + text);
    } catch (IllegalArgumentException e) {
      throw new MalformedMessage("not a valid message: " + e.getMessage());
    }
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
}
