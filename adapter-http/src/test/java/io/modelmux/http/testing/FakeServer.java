package io.modelmux.http.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A real HTTP server on 127.0.0.1 standing in for Gemini in the adapter's tests: each path answers
 * with what the test set, byte for byte, and the server keeps what it was sent (method, URI with
 * its query, headers, body). Responses may be sent in chunks with pauses, or cut off.
 */
public final class FakeServer implements AutoCloseable {
  public static final Path FIXTURES = Path.of("src/test/resources/fixtures");
  private static final String BODY = "fake-server.request-body";

  /** One way to answer. */
  public interface Answer {
    void answer(HttpExchange exchange) throws IOException;
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  public final List<String> methods = new CopyOnWriteArrayList<>();
  public final List<URI> uris = new CopyOnWriteArrayList<>();
  public final List<String> bodies = new CopyOnWriteArrayList<>();
  public final List<Map<String, List<String>>> headers = new CopyOnWriteArrayList<>();
  public final AtomicInteger requests = new AtomicInteger();
  /** Set when a streamed answer could not write because the client had gone. */
  public volatile boolean clientWentAway;

  public FakeServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fake-server");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          methods.add(exchange.getRequestMethod());
          uris.add(exchange.getRequestURI());
          String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          exchange.setAttribute(BODY, body);
          bodies.add(body);
          headers.add(Map.copyOf(exchange.getRequestHeaders()));
          requests.incrementAndGet();
          Answer a = answers.get(exchange.getRequestURI().getPath());
          try {
            if (a == null) {
              send(exchange, 404, "application/json", "{\"error\":\"no such path\"}".getBytes(StandardCharsets.UTF_8));
            } else {
              a.answer(exchange);
            }
          } catch (Cut e) {
            // the connection is dropped: fewer bytes than the Content-Length promised
          } catch (IOException e) {
            clientWentAway = true;
          } finally {
            exchange.close(); // after a cut, this drops the connection
          }
        });
    server.start();
  }

  /** Returns the server's root URL, http://127.0.0.1:PORT (Gemini's base_url takes this). */
  public String root() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Returns the base URL as OpenAI clients take it: http://127.0.0.1:PORT/v1. */
  public String openAiBaseUrl() {
    return root() + "/v1";
  }

  /** Waits up to 10 s for a condition that a server thread sets. */
  public static void awaitUntil(java.util.function.BooleanSupplier condition) {
    long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within 10 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
    }
  }

  public FakeServer on(String path, Answer answer) {
    answers.put(path, answer);
    return this;
  }

  /** Returns the last request's body. */
  public String lastBody() {
    return bodies.get(bodies.size() - 1);
  }

  /** Returns the body of the request {@code ex} answers. */
  public static String requestBody(HttpExchange ex) {
    return (String) ex.getAttribute(BODY);
  }

  public static byte[] fixture(String name) {
    try {
      return Files.readAllBytes(FIXTURES.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Answer json(int status, String fixture) {
    return ex -> send(ex, status, "application/json", fixture(fixture));
  }

  public static Answer body(int status, String contentType, byte[] body) {
    return ex -> send(ex, status, contentType, body);
  }

  public static Answer body(int status, String contentType, String body) {
    return body(status, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  /** Streams {@code body} as text/event-stream in pieces of {@code chunk} bytes, pausing between. */
  public static Answer sse(byte[] body, int chunk, long pauseMillis) {
    return ex -> {
      ex.getResponseHeaders().add("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      for (int i = 0; i < body.length; i += chunk) {
        out.write(body, i, Math.min(chunk, body.length - i));
        out.flush();
        if (pauseMillis > 0) {
          LockSupport.parkNanos(pauseMillis * 1_000_000);
        }
      }
    };
  }

  public static Answer sse(String body, int chunk) {
    return sse(body.getBytes(StandardCharsets.UTF_8), chunk, 0);
  }

  /**
   * Streams {@code body} cut right after every CR, pausing between the pieces so that each CRLF
   * arrives split over two reads.
   */
  public static Answer sseSplitAfterEachCr(byte[] body, long pauseMillis) {
    return ex -> {
      ex.getResponseHeaders().add("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      int from = 0;
      for (int i = 0; i < body.length; i++) {
        if (body[i] == '\r' || i == body.length - 1) {
          out.write(body, from, i + 1 - from);
          out.flush();
          from = i + 1;
          LockSupport.parkNanos(pauseMillis * 1_000_000);
        }
      }
    };
  }

  /** Sends the first {@code cutAt} bytes of {@code body} as a stream, then drops the connection. */
  public static Answer cut(byte[] body, int cutAt) {
    return ex -> {
      ex.getResponseHeaders().add("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, body.length); // promise all of it, send part, then close
      ex.getResponseBody().write(body, 0, cutAt);
      ex.getResponseBody().flush();
      throw new Cut();
    };
  }

  /** Answers {@code status} with a {@code Location} header and an empty body. */
  public static Answer redirect(int status, String location) {
    return ex -> {
      ex.getResponseHeaders().add("Location", location);
      ex.sendResponseHeaders(status, -1);
    };
  }

  /**
   * Promises {@code declaredLength} bytes, sends {@code head}, then stalls until {@code release}
   * opens (at most 30 s); then writes filler up to the promised length, which fails (and sets
   * {@link #clientWentAway}) once the client has closed the connection.
   */
  public static Answer stallAfter(byte[] head, long declaredLength, String contentType, java.util.concurrent.CountDownLatch release) {
    return ex -> {
      ex.getResponseHeaders().add("Content-Type", contentType);
      ex.sendResponseHeaders(200, declaredLength);
      OutputStream out = ex.getResponseBody();
      out.write(head);
      out.flush();
      try {
        release.await(30, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      byte[] filler = new byte[8192];
      java.util.Arrays.fill(filler, (byte) ' ');
      for (long left = declaredLength - head.length; left > 0; left -= filler.length) {
        out.write(filler, 0, (int) Math.min(filler.length, left));
        out.flush();
      }
    };
  }

  /**
   * Sends SSE headers and then {@code event} every {@code everyMillis}, until writing fails
   * because the client went away (which sets {@link #clientWentAway}) or 60 s pass.
   */
  public static Answer trickle(byte[] event, long everyMillis) {
    return ex -> {
      ex.getResponseHeaders().add("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < end) {
        out.write(event);
        out.flush();
        LockSupport.parkNanos(everyMillis * 1_000_000);
      }
    };
  }

  /** Sends {@code body} gzip-compressed, with {@code Content-Encoding} set to {@code encoding} when not null. */
  public static Answer gzipped(int status, String contentType, byte[] body, @org.jspecify.annotations.Nullable String encoding) {
    return ex -> {
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bytes)) {
        gz.write(body);
      }
      if (encoding != null) {
        ex.getResponseHeaders().add("Content-Encoding", encoding);
      }
      send(ex, status, contentType, bytes.toByteArray());
    };
  }

  /** Ends an answer early on purpose. */
  public static final class Cut extends IOException {
    private static final long serialVersionUID = 1L;
  }

  public static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().add("Content-Type", contentType);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
