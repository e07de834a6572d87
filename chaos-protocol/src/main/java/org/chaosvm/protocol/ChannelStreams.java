package org.chaosvm.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A connection's two directions as streams that one thread may read while another writes, which a
 * streamed console needs. JDK 17's {@code Channels.newInputStream} and {@code newOutputStream} both
 * lock the channel's blocking lock around each call, so a read waiting for data there keeps every
 * write waiting too; these call the channel directly.
 */
public final class ChannelStreams {
  private ChannelStreams() {}

  /** Reads from a blocking channel; the end of the stream when the peer shuts its side. */
  public static InputStream in(SocketChannel channel) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] bytes, int offset, int length) throws IOException {
        if (length == 0) {
          return 0;
        }
        return channel.read(ByteBuffer.wrap(bytes, offset, length));
      }

      @Override
      public void close() throws IOException {
        channel.close();
      }
    };
  }

  /** Writes to a blocking channel, whole. */
  public static OutputStream out(SocketChannel channel) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] bytes, int offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes, offset, length);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }

      @Override
      public void close() throws IOException {
        channel.close();
      }
    };
  }
}
