package org.chaosvm.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Fuzz targets of the codec, which reads whatever a client sends: a line, then a request or a
 * reply. Each may refuse its input with {@link Codec.MalformedMessage} and nothing else.
 *
 * <p>In the unit tests each target runs its inputs in {@code
 * src/test/resources/org/chaosvm/protocol/CodecFuzzTestInputs/TARGET/}; {@code JAZZER_FUZZ=1}
 * fuzzes (docs/security.md, "Fuzzing").
 */
class CodecFuzzTest {
  @FuzzTest(maxDuration = "2m")
  void request(byte[] input) {
    try {
      Optional<byte[]> line = Codec.readLine(new ByteArrayInputStream(input));
      if (line.isPresent()) {
        Request request = Codec.decodeRequest(line.get());
        Codec.decodeRequest(stripNewline(Codec.encode(request))); // what it reads, it writes
      }
    } catch (Codec.MalformedMessage refused) {
      // the one way to refuse
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
  }

  @FuzzTest(maxDuration = "2m")
  void reply(byte[] input) {
    try {
      Codec.decodeReply(input);
    } catch (Codec.MalformedMessage refused) {
      // the one way to refuse
    }
  }

  private static byte[] stripNewline(byte[] line) {
    return java.util.Arrays.copyOf(line, line.length - 1);
  }
}
