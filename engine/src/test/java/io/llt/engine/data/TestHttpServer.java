package io.llt.engine.data;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A JDK HTTP server bound to 127.0.0.1 on an ephemeral port, serving files from a map. */
final class TestHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  final AtomicInteger requests = new AtomicInteger();

  TestHttpServer() {
    try {
      InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
      server = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/",
        exchange -> {
          requests.incrementAndGet();
          String name = exchange.getRequestURI().getPath().replaceFirst("^/data/", "");
          byte[] body = files.get(name);
          if (body == null) {
            exchange.sendResponseHeaders(404, -1);
          } else {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
          exchange.close();
        });
    server.start();
  }

  /** Serves {@code body} at {@code baseUrl() + name}. */
  void serve(String name, byte[] body) {
    files.put(name, body);
  }

  /** Returns {@code http://127.0.0.1:<port>/data/}. */
  URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/data/");
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
