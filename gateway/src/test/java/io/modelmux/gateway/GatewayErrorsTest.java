package io.modelmux.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelmux.BackendException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.RateLimitedException;
import io.modelmux.RetryPolicy;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.Await;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every failure answers with OpenAI's error object and the status a client acts on. */
class GatewayErrorsTest extends GatewayTestBase {
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch entered = new CountDownLatch(1);
  private final AtomicBoolean cancelled = new AtomicBoolean();

  @BeforeEach
  void startGateway() {
    poet("poet");
    backends.on("limited", (call, request, sink) -> {
      entered.countDown();
      await(release);
      return speak("done", sink);
    });
    backends.on("stalled", (call, request, sink) -> {
      // as a real adapter does (the HTTP one's transport): wait no longer than the request may
      try {
        release.await(request.timeLeft().orElseThrow().toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new DeadlineExceededException("stalled did not answer before the deadline", "stalled", null);
    });
    backends.on("throttled", (call, request, sink) -> {
      throw new RateLimitedException("throttled answered 429", "throttled", 429, Duration.ofSeconds(7), null);
    });
    backends.on("broken", (call, request, sink) -> {
      if (sink != null) {
        sink.accept("half ");
        sink.accept("an answer");
      }
      throw new BackendException("broken's connection was reset", "broken", false, null);
    });
    backends.on("endless", (call, request, sink) -> {
      for (int i = 0; !sink.isCancelled(); i++) {
        sink.accept("word" + i + " ");
        if (i % 50 == 0) {
          Thread.onSpinWait();
        }
      }
      cancelled.set(true);
      return speak("", null);
    });
    manager = builder()
        .model(ModelSpec.builder("poet", "scripted").build())
        .model(ModelSpec.builder("limited", "scripted").maxConcurrency(1).maxQueue(0).build())
        .model(ModelSpec.builder("stalled", "scripted").retry(RetryPolicy.none()).build())
        .model(ModelSpec.builder("throttled", "scripted").retry(RetryPolicy.none()).build())
        .model(ModelSpec.builder("broken", "scripted").retry(RetryPolicy.none()).build())
        .model(ModelSpec.builder("endless", "scripted").build())
        .model(ModelSpec.builder("capped", "scripted").prices(new io.modelmux.spi.Prices(1_000_000, 1_000_000))
            .spendLimit(io.modelmux.SpendLimit.per(0.5, Duration.ofDays(1))).build())
        .build();
    gateway = gatewayBuilder().maxBodyBytes(4096).build().start();
  }

  @AfterEach
  void openTheGate() {
    release.countDown();
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never opened the gate");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static JsonNode error(HttpResponse<String> r) {
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    JsonNode e = json(r.body()).path("error");
    assertThat(e.path("message").asText()).isNotBlank();
    assertThat(e.path("type").asText()).isNotBlank();
    assertThat(e.has("param")).isTrue();
    assertThat(e.has("code")).isTrue();
    return e;
  }

  @Test
  void should_answer_400_to_a_malformed_body_and_keep_serving() {
    for (String body : List.of("{\"model\": \"poet\", \"messages\": [", "not json at all", "[1,2]", "{} {}", "")) {
      HttpResponse<String> r = post("/v1/chat/completions", body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(error(r).path("type").asText()).isEqualTo("invalid_request_error");
    }
    HttpResponse<String> binary = send(HttpRequest.newBuilder(uri("/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0xff, 0, (byte) 0xfe, 1, 2})).build());
    assertThat(binary.statusCode()).isEqualTo(400);

    assertThat(post("/v1/chat/completions", chat("poet", "still here", false)).statusCode()).isEqualTo(200);
  }

  @Test
  void should_answer_400_naming_the_field_a_client_got_wrong() {
    assertThat(badField("{\"model\":\"poet\"}")).isEqualTo("messages");
    assertThat(badField("{\"model\":\"poet\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":2}")).isEqualTo("n");
    assertThat(badField("{\"model\":\"poet\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":\"function\"}]}")).isEqualTo("tools");
    assertThat(badField("{\"model\":\"poet\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":\"hot\"}")).isEqualTo("temperature");
    assertThat(badField("{\"model\":\"poet\",\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}")).isEqualTo("messages[0].role");
    assertThat(badField("{\"model\":\"poet\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}"))
        .isEqualTo("messages[0].content");
    assertThat(badField("{\"model\":\"poet\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":3}"))
        .isEqualTo("stream_options");
    HttpResponse<String> negative = post("/v1/chat/completions",
        "{\"model\":\"poet\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":-5}");
    assertThat(negative.statusCode()).isEqualTo(400);
    assertThat(error(negative).path("message").asText()).contains("-5");
  }

  private String badField(String body) {
    HttpResponse<String> r = post("/v1/chat/completions", body);
    assertThat(r.statusCode()).as(body).isEqualTo(400);
    return error(r).path("param").asText();
  }

  @Test
  void should_answer_400_to_a_bad_timeout_header() {
    HttpResponse<String> r = post("/v1/chat/completions", chat("poet", "x", false), "X-ModelMux-Timeout", "soon");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error(r).path("message").asText()).contains("X-ModelMux-Timeout", "soon");
  }

  @Test
  void should_answer_404_to_an_unknown_model_listing_the_known_ones() {
    for (boolean stream : new boolean[] {false, true}) {
      HttpResponse<String> r = post("/v1/chat/completions", chat("poett", "x", stream));
      assertThat(r.statusCode()).isEqualTo(404);
      JsonNode e = error(r);
      assertThat(e.path("code").asText()).isEqualTo("model_not_found");
      assertThat(e.path("message").asText()).contains("poett", "poet", "limited", "throttled");
    }
  }

  @Test
  void should_answer_404_to_an_unknown_path_and_405_to_a_wrong_method() {
    HttpResponse<String> path = get("/v1/engines");
    assertThat(path.statusCode()).isEqualTo(404);
    assertThat(error(path).path("message").asText()).contains("/v1/chat/completions");
    HttpResponse<String> method = get("/v1/chat/completions");
    assertThat(method.statusCode()).isEqualTo(405);
    assertThat(method.headers().firstValue("Allow")).hasValue("POST");
  }

  @Test
  void should_answer_413_to_a_body_over_the_limit_sized_or_chunked() {
    String big = chat("poet", "x".repeat(5000), false);
    HttpResponse<String> sized = post("/v1/chat/completions", big);
    assertThat(sized.statusCode()).isEqualTo(413);
    assertThat(error(sized).path("message").asText()).contains("4096 bytes");
    assertThat(sized.headers().firstValue("Connection")).as("the body is not read: no next request here").hasValue("close");

    HttpResponse<String> chunked = send(HttpRequest.newBuilder(uri("/v1/chat/completions"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(
            () -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))).build());
    assertThat(chunked.statusCode()).as(chunked.body()).isEqualTo(413);
    assertThat(chunked.headers().firstValue("Connection")).hasValue("close");

    assertThat(post("/v1/chat/completions", chat("poet", "small", false)).statusCode()).isEqualTo(200);
  }

  @Test
  void should_answer_429_with_retry_after_when_the_backend_is_rate_limited() {
    HttpResponse<String> r = post("/v1/chat/completions", chat("throttled", "x", false));

    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(error(r).path("code").asText()).isEqualTo("rate_limit_exceeded");
  }

  @Test
  void should_answer_429_with_retry_after_when_a_spend_limit_is_reached() {
    HttpResponse<String> r = post("/v1/chat/completions",
        "{\"model\":\"capped\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(error(r).path("code").asText()).isEqualTo("spend_limit_exceeded");
    long wait = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
    assertThat(wait).isBetween(1L, 86_400L);
  }

  @Test
  void should_answer_502_when_the_backend_fails() {
    HttpResponse<String> r = post("/v1/chat/completions", chat("broken", "x", false));

    assertThat(r.statusCode()).isEqualTo(502);
    JsonNode e = error(r);
    assertThat(e.path("code").asText()).isEqualTo("upstream_error");
    assertThat(e.path("message").asText()).contains("connection was reset");
  }

  @Test
  void should_answer_503_when_the_model_is_full_and_its_queue_takes_none() throws Exception {
    CompletableFuture<HttpResponse<String>> first = http.sendAsync(
        HttpRequest.newBuilder(uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(chat("limited", "x", false))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

    HttpResponse<String> second = post("/v1/chat/completions", chat("limited", "x", false));
    assertThat(second.statusCode()).isEqualTo(503);
    assertThat(error(second).path("code").asText()).isEqualTo("overloaded");
    release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
  }

  @Test
  void should_answer_504_when_the_deadline_passes() {
    HttpResponse<String> r = post("/v1/chat/completions", chat("stalled", "x", false), "X-ModelMux-Timeout", "300ms");

    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(error(r).path("code").asText()).isEqualTo("deadline_exceeded");
  }

  @Test
  void should_end_a_stream_that_fails_midway_with_an_error_event_and_no_done() {
    HttpResponse<String> r = post("/v1/chat/completions", chat("broken", "x", true));

    assertThat(r.statusCode()).isEqualTo(200);
    List<String> events = events(r.body());
    assertThat(streamedText(events)).isEqualTo("half an answer");
    assertThat(events).doesNotContain("[DONE]");
    JsonNode last = json(events.get(events.size() - 1));
    assertThat(last.path("error").path("code").asText()).isEqualTo("upstream_error");
    assertThat(last.path("error").path("message").asText()).contains("connection was reset");
  }

  @Test
  void should_answer_a_failure_before_the_first_piece_with_its_status() {
    HttpResponse<String> r = post("/v1/chat/completions", chat("throttled", "x", true));

    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("7");
  }

  @Test
  void should_cancel_the_models_work_when_the_client_goes_away_mid_stream() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
      sendRaw(socket, chat("endless", "x", true), true);
      InputStream in = socket.getInputStream();
      byte[] some = new byte[4096];
      int read = 0;
      while (read < some.length) {
        int n = in.read(some, read, some.length - read);
        if (n < 0) {
          break;
        }
        read += n;
      }
      assertThat(new String(some, 0, read, StandardCharsets.UTF_8)).startsWith("HTTP/1.1 200").contains("word1 ");
    }

    Await.until(cancelled::get, "the model's stream was cancelled");
    Await.until(() -> gateway.activeStreams() == 0, "the stream was let go");
  }

  @Test
  void should_answer_400_to_malformed_http_and_keep_serving() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
      socket.getOutputStream().write("GARBAGE\u0001 / HTTP/9.9\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      byte[] answer = socket.getInputStream().readNBytes(12);
      assertThat(new String(answer, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 4");
    }
    assertThat(post("/v1/chat/completions", chat("poet", "fine", false)).statusCode()).isEqualTo(200);
  }
}
