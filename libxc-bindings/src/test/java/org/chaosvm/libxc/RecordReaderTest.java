package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.Test;

class RecordReaderTest {
  private static final DomId DOMAIN = DomId.of(7);
  private static final byte[] AFTER_END = "decision".getBytes(StandardCharsets.US_ASCII);

  /**
   * Headers of 24 and 16 bytes, a record of type 2 with 12 bytes (padded to 16), a batch of type 1
   * with 40 bytes, END, then what follows the stream on the descriptor.
   */
  private static byte[] stream() {
    ByteBuffer bytes = ByteBuffer.allocate(24 + 16 + 8 + 16 + 8 + 40 + 8 + AFTER_END.length);
    bytes.order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 40; i++) {
      bytes.put((byte) (0x40 + i));
    }
    bytes.putInt(2).putInt(12);
    for (int i = 0; i < 16; i++) {
      bytes.put((byte) (0x80 + i));
    }
    bytes.putInt(1).putInt(40);
    for (int i = 0; i < 40; i++) {
      bytes.put((byte) i);
    }
    bytes.putInt(0).putInt(0);
    bytes.put(AFTER_END);
    return bytes.array();
  }

  /** Reads {@link #stream} as {@link PvRestore} does; answers what is left on the descriptor. */
  private static byte[] readAll(FdPipe pipe) throws IOException {
    RecordReader in = new RecordReader(pipe.readFd(), DOMAIN);
    assertEquals(0x40, in.read(24).get(0));
    assertEquals(0x40 + 24, in.readWithAhead(16).get(0));
    ByteBuffer header = in.nextHeader();
    assertEquals(2, header.getInt(0));
    assertEquals(12, header.getInt(4));
    ByteBuffer body = in.readWithAhead(16);
    assertEquals((byte) 0x80, body.get(0));
    assertEquals((byte) 0x8f, body.get(15));
    header = in.nextHeader();
    assertEquals(1, header.getInt(0));
    Pointer batch = Memory.allocateDirect(LibC.runtime(), 40 + RecordReader.HEADER, true);
    in.readWithAhead(batch, 40);
    assertEquals(0, batch.getByte(0));
    assertEquals(39, batch.getByte(39));
    header = in.nextHeader();
    assertEquals(0, header.getInt(0));
    assertEquals(0, in.read(0).capacity());
    pipe.closeWrite();
    return pipe.readStream().readAllBytes();
  }

  @Test
  void eachBodyComesWithTheNextHeaderAndNothingPastEndIsRead() throws IOException {
    try (FdPipe pipe = FdPipe.open()) {
      pipe.writeStream().write(stream());
      assertArrayEquals(AFTER_END, readAll(pipe));
    }
  }

  @Test
  void aStreamThatComesAByteAtATimeReadsTheSame() throws Exception {
    try (FdPipe pipe = FdPipe.open()) {
      OutputStream out = pipe.writeStream();
      byte[] stream = stream();
      int before = stream.length - AFTER_END.length;
      CompletableFuture<Void> feeder =
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (int i = 0; i < before; i++) {
                    out.write(stream, i, 1);
                    Thread.sleep(1);
                  }
                  out.write(AFTER_END);
                } catch (IOException | InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      RecordReader in = new RecordReader(pipe.readFd(), DOMAIN);
      in.read(24);
      in.readWithAhead(16);
      assertEquals(2, in.nextHeader().getInt(0));
      in.readWithAhead(16);
      assertEquals(1, in.nextHeader().getInt(0));
      Pointer batch = Memory.allocateDirect(LibC.runtime(), 48, true);
      in.readWithAhead(batch, 40);
      assertEquals(39, batch.getByte(39));
      assertEquals(0, in.nextHeader().getInt(0));
      feeder.get();
      pipe.closeWrite();
      InputStream rest = pipe.readStream();
      assertArrayEquals(AFTER_END, rest.readAllBytes());
    }
  }

  @Test
  void aStreamThatEndsWithinARecordSaysWhere() throws IOException {
    try (FdPipe pipe = FdPipe.open()) {
      pipe.writeStream().write(stream(), 0, 24 + 16 + 8 + 10);
      pipe.closeWrite();
      RecordReader in = new RecordReader(pipe.readFd(), DOMAIN);
      in.read(24);
      in.readWithAhead(16);
      in.nextHeader();
      XenException e = assertThrows(XenException.class, () -> in.readWithAhead(16));
      assertEquals(PvRestore.FUNCTION, e.function());
      assertTrue(e.getMessage().contains("ends after 58 bytes"), e.getMessage());
    }
  }
}
