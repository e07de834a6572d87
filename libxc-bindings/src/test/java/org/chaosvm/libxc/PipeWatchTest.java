package org.chaosvm.libxc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A pipe that stands still for the idle limit unblocks the thread that waits on it. */
@Timeout(60)
class PipeWatchTest {
  private static final Duration IDLE = Duration.ofMillis(1500);

  @TempDir Path dir;

  private UserFile fifo(String name) {
    Path path = dir.resolve(name);
    UserFile.makeFifo(path);
    return UserFile.open(UnixUser.named("root").orElseThrow(), path, true); // read and write
  }

  @Test
  void aReadThatNothingFeedsIsFedBytesNoStreamHas() throws Exception {
    try (UserFile pipe = fifo("in")) {
      pipe.blocking();
      try (PipeWatch watch = PipeWatch.watch(pipe.fd(), false, IDLE)) {
        InputStream in = pipe.input();
        int first = in.read(); // blocks until the watch feeds it
        assertEquals(0xff, first);
        assertEquals(true, watch.stalled());
      }
    }
  }

  @Test
  void aWriteThatNothingTakesIsDrained() throws Exception {
    try (UserFile pipe = fifo("out")) {
      pipe.blocking();
      try (PipeWatch watch = PipeWatch.watch(pipe.fd(), true, IDLE)) {
        OutputStream out = pipe.output();
        out.write(new byte[4 << 20]); // more than the pipe holds: blocks until drained
        assertEquals(true, watch.stalled());
      }
    }
  }

  @Test
  void aPipeThatMovesSlowlyIsNotStalled() throws Exception {
    Path path = dir.resolve("slow");
    UserFile.makeFifo(path);
    try (UserFile pipe = UserFile.open(UnixUser.named("root").orElseThrow(), path, false);
        RandomAccessFile writer = new RandomAccessFile(path.toFile(), "rw")) {
      pipe.blocking();
      Thread feeder =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 8; i++) {
                    Thread.sleep(500);
                    writer.write('x');
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      feeder.start();
      try (PipeWatch watch = PipeWatch.watch(pipe.fd(), false, IDLE)) {
        byte[] got = pipe.input().readNBytes(8);
        assertEquals("xxxxxxxx", new String(got, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(false, watch.stalled());
      }
      feeder.join();
    }
  }
}
