package org.chaosvm.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every request and reply, found from the sealed interfaces, goes through the codec unchanged. */
class ProtocolCoverageTest {
  private static byte[] body(byte[] line) {
    return Arrays.copyOf(line, line.length - 1);
  }

  @Test
  void everyRequestTypeIsEncodedAndDecodedBackWhole() throws Exception {
    Set<String> ops = new HashSet<>();
    for (Request request : Samples.requests()) {
      byte[] line = Codec.encode(request);
      assertEquals(request, Codec.decodeRequest(body(line)), request.getClass().getSimpleName());
      String json = new String(line, StandardCharsets.UTF_8);
      ops.add(json.substring(0, json.indexOf(',')));
    }
    assertEquals(Request.class.getPermittedSubclasses().length, Samples.requests().size());
    assertTrue(ops.size() >= Samples.requests().size(), "an op per request type: " + ops);
  }

  @Test
  void everyReplyTypeIsEncodedAndDecodedBackWhole() throws Exception {
    for (Reply reply : Samples.replies()) {
      assertEquals(
          reply, Codec.decodeReply(body(Codec.encode(reply))), reply.getClass().getSimpleName());
    }
  }

  @Test
  void everyErrorCodeIsEncodedAndDecodedBack() throws Exception {
    for (ErrorCode code : ErrorCode.values()) {
      Reply error = new Reply.Error(code, "why");
      assertEquals(error, Codec.decodeReply(body(Codec.encode(error))));
    }
  }
}
