package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MigrationStreamTest {
  /** An image header, a PV domain header, a record of 12 bytes (padded to 16), then END. */
  private static byte[] stream() {
    ByteBuffer bytes = ByteBuffer.allocate(24 + 16 + 8 + 16 + 8);
    bytes.putLong(-1L).putInt(0x58454E46).putInt(3).putShort((short) 0).putShort((short) 0);
    bytes.putInt(0);
    bytes.order(ByteOrder.LITTLE_ENDIAN);
    bytes.putInt(1).putShort((short) 12).putShort((short) 0).putInt(4).putInt(17);
    bytes.putInt(0x0b).putInt(12).put("toolstack...".getBytes(StandardCharsets.US_ASCII));
    bytes.putInt(0); // padding
    bytes.putInt(0).putInt(0); // END
    return bytes.array();
  }

  private static InputStream followedBy(byte[] stream, String after) {
    byte[] next = after.getBytes(StandardCharsets.US_ASCII);
    byte[] all = Arrays.copyOf(stream, stream.length + next.length);
    System.arraycopy(next, 0, all, stream.length, next.length);
    return new ByteArrayInputStream(all);
  }

  @Test
  void endsAfterItsEndRecordAndLeavesWhatFollows() throws IOException {
    InputStream in = followedBy(stream(), "{\"op\":\"commit\"}");
    assertArrayEquals(stream(), MigrationStream.one(in).readAllBytes());
    assertEquals("{\"op\":\"commit\"}", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
  }

  @Test
  void aStreamCutShortIsSaidToEnd() {
    byte[] cut = Arrays.copyOf(stream(), 50);
    EOFException e =
        assertThrows(
            EOFException.class,
            () -> MigrationStream.one(new ByteArrayInputStream(cut)).readAllBytes());
    assertTrue(e.getMessage().contains("ends within a record, after 50 bytes"), e.getMessage());
  }

  @Test
  void somethingElseIsNotAStream() {
    IOException e =
        assertThrows(
            IOException.class,
            () -> MigrationStream.one(followedBy(new byte[0], "x".repeat(64))).readAllBytes());
    assertTrue(e.getMessage().contains("not a libxenguest stream"), e.getMessage());
  }
}
