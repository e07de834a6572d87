package org.chaosvm.daemon.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.chaosvm.daemon.config.DeviceMechanism;
import org.chaosvm.daemon.engine.ChaosException;
import org.chaosvm.protocol.ErrorCode;
import org.junit.jupiter.api.Test;

/** The head of a checkpoint image: written, read back, and each way a file can be wrong. */
class CheckpointImageTest {
  private static final CheckpointImage.Guest GUEST =
      new CheckpointImage.Guest(
          "web1",
          "6f1c2b64-5a0e-4c1e-9d7a-0c3b1f2e4d5a",
          DeviceMechanism.NOXS,
          "/etc/chaos/web1.cfg",
          "name = \"web1\"\nkernel = \"/vms/uk\"\nmemory = 1\n");

  private static final byte[] STREAM = {(byte) 0xff, (byte) 0xff, 'X', 'e', 'n'};

  private static byte[] image(CheckpointImage.Guest guest) throws IOException {
    byte[] head = CheckpointImage.head(guest);
    byte[] all = Arrays.copyOf(head, head.length + STREAM.length);
    System.arraycopy(STREAM, 0, all, head.length, STREAM.length);
    return all;
  }

  private static ChaosException refused(byte[] bytes) {
    ChaosException e =
        assertThrows(
            ChaosException.class,
            () -> CheckpointImage.readHead(new ByteArrayInputStream(bytes), "web1.img"));
    assertEquals(ErrorCode.BAD_REQUEST, e.code());
    return e;
  }

  @Test
  void theHeadIsReadBackAndTheStreamFollowsIt() throws IOException {
    byte[] image = image(GUEST);
    assertArrayEquals("CHAOSIMG".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(image, 8));
    ByteBuffer prefix = ByteBuffer.wrap(image, 8, 8).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(CheckpointImage.VERSION, prefix.getInt());
    assertEquals(image.length - 16 - STREAM.length, prefix.getInt());

    InputStream in = new ByteArrayInputStream(image);
    assertEquals(GUEST, CheckpointImage.readHead(in, "web1.img"));
    assertArrayEquals(STREAM, in.readAllBytes(), "libxenguest's stream starts after the head");
  }

  @Test
  void aFileOfAnotherKindIsNotAChaosImage() {
    String message =
        refused("\u007fELF\2\1\1\0 and so on".getBytes(StandardCharsets.ISO_8859_1)).getMessage();
    assertEquals("web1.img is not a chaos image (it does not start with CHAOSIMG)", message);
    assertTrue(refused(new byte[0]).getMessage().contains("is not a chaos image"));
  }

  @Test
  void aTruncatedImageSaysWhereItEnds() throws IOException {
    byte[] image = image(GUEST);
    assertEquals(
        "web1.img is truncated: it ends within its 16-byte head",
        refused(Arrays.copyOf(image, 12)).getMessage());
    assertTrue(
        refused(Arrays.copyOf(image, 40))
            .getMessage()
            .startsWith("web1.img is truncated: it ends within its record of "));
  }

  @Test
  void aNewerFormatVersionIsRefusedByNumber() throws IOException {
    byte[] image = image(GUEST);
    ByteBuffer.wrap(image, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(7);
    assertEquals(
        "web1.img is an image of format version 7, newer than this chaos reads (1): restore it"
            + " with the chaos that saved it, or a later one",
        refused(image).getMessage());
    ByteBuffer.wrap(image, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(0);
    assertTrue(refused(image).getMessage().contains("format version 0"));
  }

  @Test
  void aRecordTooLargeOrNotAGuestIsRefused() throws IOException {
    byte[] image = image(GUEST);
    ByteBuffer.wrap(image, 12, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(-1);
    assertTrue(refused(image).getMessage().contains("more than 1048576: damaged"));

    assertTrue(refused(withRecord("[1, 2]")).getMessage().startsWith("web1.img's record is not"));
    assertEquals(
        "web1.img's record has no config",
        refused(withRecord("{\"name\":\"web1\",\"mechanism\":\"NOXS\"}")).getMessage());
    assertTrue(
        refused(withRecord("{\"name\":\"web1\",\"mechanism\":\"FLOPPY\",\"config\":\"\"}"))
            .getMessage()
            .startsWith("web1.img's record is not the JSON object of a guest"));
  }

  @Test
  void fieldsALaterVersionAddsAreSkipped() throws IOException {
    byte[] image =
        withRecord(
            "{\"name\":\"web1\",\"mechanism\":\"XENSTORE\",\"config\":\"memory = 1\\n\","
                + "\"savedBy\":{\"host\":\"h\"}}");
    CheckpointImage.Guest guest =
        CheckpointImage.readHead(new ByteArrayInputStream(image), "web1.img");
    assertEquals("web1", guest.name());
    assertEquals(DeviceMechanism.XENSTORE, guest.mechanism());
  }

  private static byte[] withRecord(String json) {
    byte[] record = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer image = ByteBuffer.allocate(16 + record.length).order(ByteOrder.LITTLE_ENDIAN);
    image.put("CHAOSIMG".getBytes(StandardCharsets.US_ASCII));
    image.putInt(1).putInt(record.length).put(record);
    return image.array();
  }
}
