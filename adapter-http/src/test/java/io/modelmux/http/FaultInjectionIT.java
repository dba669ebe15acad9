package io.modelmux.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxConfig;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelStatus;
import io.modelmux.MultiModelManager;
import io.modelmux.StreamListener;
import io.modelmux.testing.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fault injection against real servers on 127.0.0.1: a flaky OpenAI-compatible server fails 30 %
 * of its answers — a 500, a 429 with {@code retry-after-ms}, a body that never comes (past
 * {@code total_timeout}), a stream cut before its first piece, a stream whose first byte is too
 * slow — and a healthy one answers everything. Each server counts the attempts it received per
 * request (the prompt carries the request's number), so that no request can have been tried
 * more often than configured.
 */
class FaultInjectionIT {
  private static final Pattern ID = Pattern.compile("req-(\\d+)");
  private static final int MAX_ATTEMPTS = 2;

  private HttpServer server;
  /** Ends the server's stalls when the test is over, so that no handler outlives it. */
  private final java.util.concurrent.CountDownLatch over = new java.util.concurrent.CountDownLatch(1);
  private final Map<String, Map<Integer, AtomicInteger>> attempts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> faults = new ConcurrentHashMap<>();
  private MultiModelManager manager;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fault-server");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/flaky/v1/chat/completions", ex -> answer(ex, "flaky", 0.30));
    server.createContext("/healthy/v1/chat/completions", ex -> answer(ex, "healthy", 0));
    server.start();
  }

  @AfterEach
  void stop() {
    over.countDown();
    if (manager != null) {
      manager.close();
    }
    server.stop(0);
  }

  private String root() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void answer(HttpExchange ex, String name, double failureShare) throws IOException {
    try (ex) {
      String body = new String(ex.getRequestBody().readAllBytes(), UTF_8);
      Matcher m = ID.matcher(body);
      if (m.find()) {
        attempts.computeIfAbsent(name, k -> new ConcurrentHashMap<>())
            .computeIfAbsent(Integer.parseInt(m.group(1)), k -> new AtomicInteger()).incrementAndGet();
      }
      boolean stream = body.contains("\"stream\":true");
      ThreadLocalRandom random = ThreadLocalRandom.current();
      if (random.nextDouble() < failureShare) {
        int fault = random.nextInt(5);
        faults.computeIfAbsent(name + ":" + fault, k -> new AtomicInteger()).incrementAndGet();
        switch (fault) {
          case 0:
            send(ex, 500, "application/json", "{\"error\":{\"message\":\"internal error\",\"type\":\"server_error\"}}");
            return;
          case 1:
            ex.getResponseHeaders().add("retry-after-ms", "20");
            send(ex, 429, "application/json", "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_exceeded\"}}");
            return;
          case 2: // the headers come, the body never does: total_timeout ends it
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 1000);
            ex.getResponseBody().write("{\"choices\":[".getBytes(UTF_8));
            ex.getResponseBody().flush();
            pause(1_500);
            return;
          case 3: // a stream cut before its first piece (a plain answer cut mid-body)
            if (stream) {
              ex.getResponseHeaders().add("Content-Type", "text/event-stream");
              ex.sendResponseHeaders(200, 0);
              ex.getResponseBody().write(
                  "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n".getBytes(UTF_8));
              return; // ends without [DONE] and without a finish reason
            }
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, 500);
            ex.getResponseBody().write("{\"choices\":[{\"index\":0,".getBytes(UTF_8));
            ex.getResponseBody().flush();
            throw new IOException("cut"); // the connection drops short of the Content-Length
          default: // the first byte is too slow: first_byte_timeout (streams) or total_timeout
            pause(1_500);
            break;
        }
      }
      if (stream) {
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        out.write(("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + name + "\"},\"finish_reason\":null}]}\n\n").getBytes(UTF_8));
        out.write("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n".getBytes(UTF_8));
        out.write("data: [DONE]\n\n".getBytes(UTF_8));
        return;
      }
      send(ex, 200, "application/json",
          "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
              + name + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}");
    } catch (IOException e) {
      // the client went away (a timeout on its side): nothing more to send
    }
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(UTF_8);
    ex.getResponseHeaders().add("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  /** The server's stall: longer than the client's timeouts, ended early when the test is over. */
  private void pause(long millis) {
    try {
      over.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The flaky model retries twice at most; its breaker judges 50 calls and opens at 90 %, so that
   * the faults reach the retries and the fallback rather than an open circuit (the breaker's own
   * tests are in core).
   */
  private MultiModelManager manager(String routes) {
    String flaky = "type: openai, base_url: " + root() + "/flaky/v1, total_timeout: 300ms, first_byte_timeout: 200ms,"
        + " retry: {max_attempts: " + MAX_ATTEMPTS + ", backoff: 5ms, max_backoff: 100ms},"
        + " circuit_breaker: {failure_rate: 90%, window: 50, minimum_calls: 20}";
    String yaml = "models:\n"
        + "  - {id: flaky, " + flaky + "}\n"
        + "  - {id: healthy, type: openai, base_url: " + root() + "/healthy/v1, total_timeout: 5s}\n"
        + routes;
    return MultiModelManager.builder().config(ModelMuxConfig.parse(yaml, "models.yaml", n -> null)).environment(n -> null).build();
  }

  private static int modelmuxThreads() {
    int n = 0;
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith("modelmux-")) {
        n++;
      }
    }
    return n;
  }

  @Test
  void should_fail_no_request_over_2000_from_8_threads_with_one_healthy_fallback() throws Exception {
    int threadsBefore = modelmuxThreads();
    manager = manager("routes:\n  - {name: chat, target: flaky, fallbacks: [healthy]}\n");
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(clients.submit(() -> {
          for (int i = 0; i < 250; i++) {
            int id = next.incrementAndGet();
            GenerateRequest request = GenerateRequest.builder().model("chat").prompt("req-" + id).build();
            try {
              GenerateResponse r = id % 4 == 0 ? stream(request) : manager.generate(request);
              assertThat(r.text()).isIn("flaky", "healthy");
            } catch (Exception e) {
              failed.incrementAndGet();
              failures.add(e);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      clients.shutdownNow();
    }

    assertThat(failures).as("failed requests").isEmpty();
    assertThat(failed).hasValue(0);
    for (int fault = 0; fault < 5; fault++) {
      assertThat(faults.getOrDefault("flaky:" + fault, new AtomicInteger()).get()).as("fault %d was injected", fault).isPositive();
    }
    assertThat(attempts.get("flaky").values()).allSatisfy(n -> assertThat(n.get()).isLessThanOrEqualTo(MAX_ATTEMPTS));
    assertThat(attempts.getOrDefault("healthy", Map.of()).values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
    assertThat(attempts.get("flaky")).as("every request was tried on the flaky model first").hasSize(2000);
    long failedOver = attempts.getOrDefault("healthy", Map.of()).size();
    assertThat(failedOver).as("requests the fallback served").isPositive();
    assertIdle();
    manager.close();
    Await.until(() -> modelmuxThreads() <= threadsBefore, "the manager's threads ended after close()");
  }

  @Test
  void should_give_every_failure_typed_no_later_than_50_ms_after_the_deadline_without_a_fallback() throws Exception {
    int threadsBefore = modelmuxThreads();
    manager = manager("");
    warmUp("flaky");
    AtomicInteger next = new AtomicInteger();
    List<String> late = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Throwable> untyped = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicInteger failedTyped = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(clients.submit(() -> {
          for (int i = 0; i < 60; i++) {
            int id = next.incrementAndGet();
            Duration timeout = Duration.ofMillis(id % 2 == 0 ? 250 : 450);
            long start = System.nanoTime();
            GenerateRequest request = GenerateRequest.builder().model("flaky").prompt("req-" + id).timeout(timeout).build();
            String outcome = "succeeded";
            try {
              if (id % 4 == 0) {
                stream(request);
              } else {
                manager.generate(request);
              }
            } catch (ModelMuxException e) {
              failedTyped.incrementAndGet();
              outcome = e.getClass().getSimpleName() + ": " + e.getMessage() + " " + java.util.Arrays.toString(e.getSuppressed());
            } catch (Exception e) {
              untyped.add(e);
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (millis > timeout.toMillis() + 50) {
              late.add("req-" + id + " ended " + millis + " ms after it began; its deadline was " + timeout.toMillis() + " ms: " + outcome);
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(5, TimeUnit.MINUTES);
      }
    } finally {
      clients.shutdownNow();
    }

    assertThat(untyped).as("every failure is a ModelMuxException").isEmpty();
    assertThat(failedTyped.get()).as("some requests failed").isPositive();
    assertThat(late).as("requests that ended more than 50 ms after their deadline").isEmpty();
    assertThat(attempts.get("flaky").values()).allSatisfy(n -> assertThat(n.get()).isLessThanOrEqualTo(MAX_ATTEMPTS));
    assertIdle();
    manager.close();
    Await.until(() -> modelmuxThreads() <= threadsBefore, "the manager's threads ended after close()");
  }

  /**
   * Sends 64 requests from 8 threads, not measured and not counted (their prompts carry no
   * request number): the first requests of a JVM load the HTTP client's classes and the failure
   * paths' and are compiled while 8 threads share 2 cores, which made them up to 150 ms late.
   */
  private void warmUp(String model) throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(clients.submit(() -> {
          for (int i = 0; i < 8; i++) {
            GenerateRequest request = GenerateRequest.builder().model(model).prompt("warm up").timeout(Duration.ofSeconds(2)).build();
            try {
              if (i % 4 == 0) {
                stream(request);
              } else {
                manager.generate(request);
              }
            } catch (Exception e) {
              // failures are the point of the server; only the time to first use is wanted here
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      clients.shutdownNow();
    }
  }

  /** Leases and concurrency slots are all back. */
  private void assertIdle() {
    Await.until(() -> manager.models().stream().allMatch(s -> s.inFlight() == 0), "every lease was given back");
    for (ModelStatus s : manager.models()) {
      assertThat(s.guardStats().active()).as("slots held by %s", s.ref()).isZero();
      assertThat(s.guardStats().queued()).isZero();
    }
  }

  private GenerateResponse stream(GenerateRequest request) throws Exception {
    StringBuilder text = new StringBuilder();
    GenerateResponse r;
    try {
      r = manager.stream(request, new StreamListener() {
      @Override
      public void onToken(String piece) {
        text.append(piece);
      }

      @Override
      public void onComplete(GenerateResponse response) {}

      @Override
      public void onError(ModelMuxException error) {}
    }).completion().get(1, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause(); // the stream's failure, as generate would throw it
      }
      throw e;
    }
    assertThat(text.toString()).as("the text streamed is the answer's, from one model").isEqualTo(r.text());
    return r;
  }
}
