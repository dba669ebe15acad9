package io.modelmux.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.Await;
import io.modelmux.testing.Threads;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    backends.on("endless", (call, request, sink) -> {
      while (!sink.isCancelled()) {
        sink.accept("more ");
        try {
          Thread.sleep(5); // a model producing a piece every few milliseconds
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      cancelled.incrementAndGet();
      return speak("", null);
    });
    manager = builder().model(ModelSpec.builder("endless", "scripted").build()).build();
    gateway = gatewayBuilder().drainTimeout(Duration.ofMillis(300)).build().start();
    CompletableFuture<HttpResponse<String>> streamed = http.sendAsync(
        HttpRequest.newBuilder(uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(chat("endless", "x", true))).build(),
        HttpResponse.BodyHandlers.ofString());
    Await.until(() -> gateway.activeStreams() == 1, "the stream started");

    gateway.close();

    Await.until(() -> cancelled.get() == 1, "the model's stream was cancelled");
    assertThat(gateway.activeStreams()).isZero();
    streamed.handle((r, x) -> null).get(20, TimeUnit.SECONDS); // ended, one way or another
  }
}
