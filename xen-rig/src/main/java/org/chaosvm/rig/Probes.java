package org.chaosvm.rig;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Asks a guest's service for an answer from Dom0, over and over until it answers. */
public final class Probes {
  /**
   * The pause between attempts: an answer is seen at most this late once the guest refuses
   * connections until its service listens (the tinyx benchmark times applications by it).
   */
  private static final Duration RETRY = Duration.ofMillis(20);

  /**
   * How long one attempt waits for the connection. Short: a SYN lost while the guest's interface
   * comes up (or sent to the MAC of the guest before it) is retransmitted only a second later, so a
   * long wait would report the answer up to seconds after it came; a new attempt is cheap.
   */
  private static final Duration CONNECT = Duration.ofMillis(150);

  private Probes() {}

  /**
   * Makes a few HTTP requests to a server of this JVM's own, so that the first request a
   * measurement waits for is not the one that loads and compiles the JVM's HTTP client: under TCG
   * that first request took 8 to 12 s.
   */
  public static void warmUpHttp() {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the warm-up's HTTP server", e);
    }
    server.createContext(
        "/",
        exchange -> {
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
      for (int i = 0; i < 5; i++) {
        awaitHttp(url, Duration.ofSeconds(60));
      }
    } finally {
      server.stop(0);
    }
  }

  /**
   * GETs {@code url} until a response comes, and returns it.
   *
   * @throws IllegalStateException when none comes within {@code limit}
   */
  public static HttpResponse<String> awaitHttp(String url, Duration limit) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + limit.toNanos();
    IOException last = null;
    while (System.nanoTime() - deadline < 0) {
      try {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        last = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while asking " + url, e);
      }
      ConsoleLog.sleep(RETRY);
    }
    throw new IllegalStateException("no HTTP answer from " + url + " within " + limit, last);
  }

  /**
   * Sends redis's {@code PING} to {@code address}:6379 until it answers, and returns the answer
   * ({@code +PONG}).
   *
   * @throws IllegalStateException when it does not answer within {@code limit}
   */
  public static String awaitRedisPing(String address, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    IOException last = null;
    while (System.nanoTime() - deadline < 0) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(address, 6379), (int) CONNECT.toMillis());
        socket.setSoTimeout(5000);
        OutputStream out = socket.getOutputStream();
        out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[64];
        int n = in.read(buf);
        return n < 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII).strip();
      } catch (IOException e) {
        last = e;
      }
      ConsoleLog.sleep(RETRY);
    }
    throw new IllegalStateException(
        "redis at " + address + " did not answer within " + limit, last);
  }
}
