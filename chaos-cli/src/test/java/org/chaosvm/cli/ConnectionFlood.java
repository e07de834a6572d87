package org.chaosvm.cli;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A flood of idle connections, as a process of its own (so that it can run as another user): {@code
 * ConnectionFlood SOCKET COUNT} opens COUNT connections to SOCKET and sends nothing, prints "opened
 * COUNT", and holds them until its standard input ends.
 */
public final class ConnectionFlood {
  private ConnectionFlood() {}

  public static void main(String[] args) throws IOException {
    UnixDomainSocketAddress socket = UnixDomainSocketAddress.of(args[0]);
    int count = Integer.parseInt(args[1]);
    List<SocketChannel> held = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(socket);
      held.add(channel);
    }
    System.out.println("opened " + held.size());
    System.out.flush();
    while (System.in.read() >= 0) {
      // held until the test lets go
    }
    for (SocketChannel channel : held) {
      channel.close();
    }
  }
}
