package io.modelmux.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.Await;
import io.modelmux.testing.Threads;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Many clients at once, a slow model, and closing while requests are in flight. */
class GatewayConcurrencyTest extends GatewayTestBase {
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger entered = new AtomicInteger();

  @AfterEach
  void openTheGate() {
    release.countDown();
  }

  private void held(String id) {
    backends.on(id, (call, request, sink) -> {
      entered.incrementAndGet();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return speak("held then answered", sink);
    });
  }

  @Test
  void should_give_64_concurrent_streaming_clients_complete_correct_streams() throws Exception {
    backends.on("poet", (call, request, sink) -> {
      String text = poem(request);
      if (sink != null) {
        for (String word : text.split("(?<= )")) {
          sink.accept(word);
          Thread.yield(); // let the streams interleave
        }
      }
      return speak(text, null);
    });
    manager = builder().model(ModelSpec.builder("poet", "scripted").build()).build();
    start();

    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      String words = "client " + i + " says " + "w" + i + " ".repeat(1) + "end" + i;
      calls.add(http.sendAsync(HttpRequest.newBuilder(uri("/v1/chat/completions"))
              .POST(HttpRequest.BodyPublishers.ofString(chat("poet", words, true))).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < 64; i++) {
      HttpResponse<String> r = calls.get(i).get(60, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      List<String> events = events(r.body());
      assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
      assertThat(streamedText(events)).isEqualTo("You said: end" + i + " w" + i + " says " + i + " client");
    }
    assertThat(backends.mostAtOnce("poet")).isGreaterThan(1);
  }

  @Test
  void should_serve_16_threads_of_whole_and_streamed_requests_at_once() throws Exception {
    poet("poet");
    manager = builder().model(ModelSpec.builder("poet", "scripted").build()).build();
    start();

    Threads.concurrently(16, t -> () -> {
      for (int i = 0; i < 10; i++) {
        boolean stream = (t + i) % 2 == 0;
        HttpResponse<String> r = post("/v1/chat/completions", chat("poet", "t" + t + " i" + i, stream));
        assertThat(r.statusCode()).isEqualTo(200);
        String text = stream ? streamedText(events(r.body()))
            : json(r.body()).path("choices").get(0).path("message").path("content").asText();
        assertThat(text).isEqualTo("You said: i" + i + " t" + t);
      }
      return null;
    });
    assertThat(backends.calls("poet")).isEqualTo(160);
  }

  @Test
  void should_not_cut_a_request_that_waits_on_its_model_longer_than_the_idle_timeout() {
    backends.on("slow", (call, request, sink) -> {
      try {
        Thread.sleep(900); // the model thinks for longer than the connection may stay idle
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return speak("worth the wait", sink);
    });
    manager = builder().model(ModelSpec.builder("slow", "scripted").build()).build();
    gateway = gatewayBuilder().idleTimeout(Duration.ofMillis(300)).build().start();

    HttpResponse<String> whole = post("/v1/chat/completions", chat("slow", "x", false));
    HttpResponse<String> streamed = post("/v1/chat/completions", chat("slow", "x", true));

    assertThat(whole.statusCode()).isEqualTo(200);
    assertThat(streamedText(events(streamed.body()))).isEqualTo("worth the wait");
  }

  @Test
  void should_not_cut_answers_whose_pieces_come_as_the_idle_timeout_strikes() throws Exception {
    // Each piece follows a pause of exactly the idle timeout: were the connection's idle timeout
    // on during an answer, its checks would fall again and again on the moment a piece is being
    // written and cut the answer (checked: with the answer left unwatched this fails every run).
    // 200 ms and not less: the idle timeout also times a new connection's request head and body
    // and a kept-alive connection between requests, and at 40 ms a host busy with other work let
    // those lapse now and then (Jetty's idle timeout doing its job, not what this test is about).
    long idle = 200;
    int pieces = 6;
    int requests = 3;
    backends.on("pausing", (call, request, sink) -> {
      StringBuilder said = new StringBuilder();
      for (int i = 0; i < pieces; i++) {
        try {
          Thread.sleep(idle);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        String piece = (i == 0 ? "" : " ") + "p" + i;
        said.append(piece);
        if (sink != null) {
          sink.accept(piece);
        }
      }
      return speak(said.toString(), null);
    });
    manager = builder().model(ModelSpec.builder("pausing", "scripted").maxConcurrency(8).build()).build();
    gateway = gatewayBuilder().idleTimeout(Duration.ofMillis(idle)).build().start();
    String expected = IntStream.range(0, pieces).mapToObj(i -> "p" + i)
        .collect(Collectors.joining(" "));

    Threads.concurrently(8, t -> () -> {
      for (int i = 0; i < requests; i++) {
        boolean stream = (t + i) % 2 == 0;
        HttpResponse<String> r = post("/v1/chat/completions", chat("pausing", "x", stream));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(stream ? streamedText(events(r.body()))
            : json(r.body()).path("choices").get(0).path("message").path("content").asText()).isEqualTo(expected);
      }
      return null;
    });
  }

  @Test
  void should_close_a_stream_whose_client_stops_reading_and_stop_its_model() throws Exception {
    AtomicInteger cancelled = new AtomicInteger();
    // 8 KB a millisecond, 8 MB a second: the socket's buffers fill in well under a second
    backends.on("flood", untilCancelled("x".repeat(8 * 1024), 1, cancelled));
    manager = builder().model(ModelSpec.builder("flood", "scripted").build()).build();
    gateway = gatewayBuilder().idleTimeout(Duration.ofMillis(200)).build().start();

    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.setSoTimeout(20_000);
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()));
      sendRaw(socket, chat("flood", "x", true), true);
      InputStream in = socket.getInputStream();
      assertThat(new String(in.readNBytes(12), StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
      // ... and reads no more.
      Await.until(() -> cancelled.get() == 1, "the model's stream was cancelled");
      Await.until(() -> gateway.activeStreams() == 0, "the stream was let go");

      try {
        in.transferTo(OutputStream.nullOutputStream()); // what the kernel held, then the end
      } catch (SocketException reset) {
        // ended by a reset: also an end
      }
    }
    HttpResponse<String> next = post("/v1/chat/completions", chat("flood", "x", false));
    assertThat(next.statusCode()).as("a new connection is served").isEqualTo(200);
  }

  @Test
  void should_not_cut_a_slow_client_that_keeps_reading_a_long_answer() throws Exception {
    // The answer's one write stays pending for about twice the idle timeout, but bytes move all
    // the while: only a write that moves nothing for the idle timeout is a stalled client. The
    // client reads at a steady 8 MB/s, so the socket takes a byte of the write at least every
    // 4 MB (the most Linux gives a send buffer by default) / 8 MB/s = 0.5 s, well inside the
    // 1.2 s idle timeout even on a busy host; a watch that counted from the write's start would
    // cut the answer 1.2 s in (checked: at 12.7 MB).
    String text = "slowly ".repeat(2_800_000); // 19.6 MB: about 2.5 s at 8 MB/s
    long bytesPerSecond = 8L << 20;
    backends.on("long", (call, request, sink) -> speak(text, sink));
    manager = builder().model(ModelSpec.builder("long", "scripted").build()).build();
    gateway = gatewayBuilder().idleTimeout(Duration.ofMillis(1200)).build().start();

    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(64 * 1024);
      socket.setSoTimeout(20_000);
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()));
      sendRaw(socket, chat("long", "x", false), true);
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream(21 << 20);
      byte[] step = new byte[64 * 1024];
      long contentLength = -1;
      int headerEnd = -1;
      long began = 0;
      while (headerEnd < 0 || got.size() < headerEnd + contentLength) {
        int n = in.read(step);
        assertThat(n).as("the answer ended early, after %d bytes", got.size()).isPositive();
        if (got.size() == 0) {
          began = System.nanoTime(); // the pace counts from the answer's first byte
        }
        got.write(step, 0, n);
        if (headerEnd < 0) {
          String head = got.toString(StandardCharsets.ISO_8859_1);
          int end = head.indexOf("\r\n\r\n");
          if (end >= 0) {
            headerEnd = end + 4;
            Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
            assertThat(m.find()).isTrue();
            contentLength = Long.parseLong(m.group(1));
          }
        }
        long due = began + got.size() * 1_000_000_000L / bytesPerSecond;
        long ahead = due - System.nanoTime();
        if (ahead > 0) {
          LockSupport.parkNanos(ahead); // keep to the pace, no faster
        }
      }
      assertThat(Duration.ofNanos(System.nanoTime() - began))
          .as("the write stayed pending longer than the idle timeout")
          .isGreaterThan(Duration.ofMillis(1200));
      String body = got.toString(StandardCharsets.UTF_8).substring(headerEnd);
      assertThat(json(body).path("choices").get(0).path("message").path("content").asText()).isEqualTo(text);
    }
  }

  @Test
  void should_stop_at_once_right_after_its_last_answer() {
    // The test's client closes the gateway the moment it has read an answer, as a deployment's
    // last request before a stop does: nothing of that answer may hold the stop for its drain time.
    poet("poet");
    manager = builder().model(ModelSpec.builder("poet", "scripted").build()).build();
    for (int round = 0; round < 30; round++) {
      gateway = gatewayBuilder().drainTimeout(Duration.ofSeconds(5)).build().start();
      HttpResponse<String> r = post("/v1/chat/completions", chat("poet", "round " + round, round % 2 == 0));
      assertThat(r.statusCode()).isEqualTo(200);

      long start = System.nanoTime();
      gateway.close();
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(tookMillis).as("round %d: the stop waited for its drain time (5 s)", round).isLessThan(4_000);
    }
  }

  @Test
  void should_drain_requests_in_flight_on_close_and_turn_new_ones_away() throws Exception {
    held("held");
    manager = builder().model(ModelSpec.builder("held", "scripted").build()).build();
    gateway = gatewayBuilder().drainTimeout(Duration.ofSeconds(20)).build().start();
    CompletableFuture<HttpResponse<String>> whole = http.sendAsync(
        HttpRequest.newBuilder(uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(chat("held", "x", false))).build(),
        HttpResponse.BodyHandlers.ofString());
    CompletableFuture<HttpResponse<String>> streamed = http.sendAsync(
        HttpRequest.newBuilder(uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(chat("held", "x", true))).build(),
        HttpResponse.BodyHandlers.ofString());
    Await.until(() -> entered.get() == 2, "both requests reached the model");

    CompletableFuture<Void> closing = CompletableFuture.runAsync(gateway::close);
    Await.until(() -> {
      try {
        return get("/health").statusCode() != 200;
      } catch (RuntimeException e) {
        return true; // the listener is closed: new connections are refused
      }
    }, "the gateway stopped taking new requests");
    assertThat(closing).isNotDone();

    release.countDown();
    assertThat(whole.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    HttpResponse<String> s = streamed.get(20, TimeUnit.SECONDS);
    assertThat(streamedText(events(s.body()))).isEqualTo("held then answered");
    assertThat(events(s.body())).endsWith("[DONE]");
    closing.get(20, TimeUnit.SECONDS);
  }

  @Test
  void should_cancel_streams_still_running_when_the_drain_time_is_over() throws Exception {
    AtomicInteger cancelled = new AtomicInteger();
    backends.on("endless", untilCancelled("more ", 5, cancelled));
    manager = builder().model(ModelSpec.builder("endless", "scripted").build()).build();
    gateway = gatewayBuilder().drainTimeout(Duration.ofMillis(300)).build().start();
    CompletableFuture<HttpResponse<String>> streamed = http.sendAsync(
        HttpRequest.newBuilder(uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(chat("endless", "x", true))).build(),
        HttpResponse.BodyHandlers.ofString());
    Await.until(() -> gateway.activeStreams() == 1, "the stream started");

    gateway.close();

    Await.until(() -> cancelled.get() == 1, "the model's stream was cancelled");
    // the model has stopped; its stream ends as its last write fails on the closed connection
    Await.until(() -> gateway.activeStreams() == 0, "the stream was let go");
    streamed.handle((r, x) -> null).get(20, TimeUnit.SECONDS); // ended, one way or another
  }
}
