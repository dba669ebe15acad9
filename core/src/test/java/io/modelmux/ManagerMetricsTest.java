package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.ScriptedManagerTest;
import io.modelmux.testing.Threads;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The manager's figures: per model (latency percentiles, tokens, errors, fallbacks) and per route. */
class ManagerMetricsTest extends ScriptedManagerTest {
  private static final RetryPolicy ONCE = RetryPolicy.builder().maxAttempts(1).build();

  private static ModelSpec model(String id) {
    return ModelSpec.builder(id, "scripted").retry(ONCE).circuitBreaker(BreakerPolicy.disabled()).build();
  }

  /** Answers after {@code millis}, with 10 prompt tokens, 5 output tokens and a first token after half the time. */
  private static Completion slow(long millis) {
    sleep(millis);
    return Completion.builder().text("abcde").finishReason(FinishReason.STOP).usage(new Usage(10, 5))
        .timeToFirstToken(Duration.ofMillis(millis / 2)).build();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void should_give_latency_percentiles_tokens_and_time_per_token_per_model() {
    backends.on("m", (call, request, sink) -> slow(call % 10 == 0 ? 60 : 20));
    manager = builder().model(model("m")).build();

    for (int i = 0; i < 40; i++) {
      manager.generate(GenerateRequest.of("m", "hi"));
    }

    ServingStats s = manager.metrics().models().get(0).servingStats();
    assertThat(s.latency().count()).isEqualTo(40);
    assertThat(s.latency().p50()).isBetween(Duration.ofMillis(20), Duration.ofMillis(50));
    assertThat(s.latency().p99()).isGreaterThanOrEqualTo(Duration.ofMillis(60));
    assertThat(s.latency().max()).isGreaterThanOrEqualTo(s.latency().p99());
    assertThat(s.inputTokens()).isEqualTo(400);
    assertThat(s.outputTokens()).isEqualTo(200);
    assertThat(s.tokensPerSecond()).isBetween(20.0, 250.0); // 5 tokens in 20-60 ms
    assertThat(s.timeToFirstToken().count()).isEqualTo(40);
    assertThat(s.timeToFirstToken().p50()).isBetween(Duration.ofMillis(10), Duration.ofMillis(12));
    assertThat(s.timePerOutputToken().count()).isEqualTo(40);
    assertThat(s.timePerOutputToken().p50()).isBetween(Duration.ofMillis(2), Duration.ofMillis(15)); // (latency - ttft) / 4
    assertThat(s.errors()).isEmpty();
  }

  @Test
  void should_count_errors_by_type_and_fallbacks_and_a_route_whole() {
    backends.on("m", (call, request, sink) -> {
      if (call % 2 == 0) {
        throw new RateLimitedException("429 from m", "m", 429, null, null);
      }
      return Completion.of("m", FinishReason.STOP);
    });
    manager = builder().model(model("m")).model(model("spare"))
        .route(RouteConfig.builder("chat").target("m").fallbacks(List.of("spare")).build()).build();

    for (int i = 0; i < 10; i++) {
      manager.generate(GenerateRequest.of("chat", "hi"));
    }

    ManagerMetrics metrics = manager.metrics();
    ServingStats m = metrics.models().get(0).servingStats();
    assertThat(m.errors()).containsExactly(Map.entry("RateLimitedException", 5L));
    assertThat(m.fallbacks()).isEqualTo(5);
    assertThat(m.latency().count()).isEqualTo(5);
    assertThat(metrics.models().get(1).servingStats().latency().count()).isEqualTo(5);
    RouteMetrics chat = metrics.routes().get(0);
    assertThat(chat.route()).isEqualTo("chat");
    assertThat(chat.requests()).isEqualTo(10);
    assertThat(chat.failures()).isZero();
    assertThat(chat.latency().count()).isEqualTo(10);
  }

  @Test
  void should_count_a_route_failure_and_an_unknown_model_nowhere() {
    backends.on("m", (call, request, sink) -> {
      throw new InvalidRequestException("bad", "m", null);
    });
    manager = builder().model(model("m")).route(RouteConfig.builder("chat").target("m").build()).build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("chat", "hi"))).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("nope", "hi"))).isInstanceOf(UnknownModelException.class);

    ManagerMetrics metrics = manager.metrics();
    assertThat(metrics.routes().get(0).requests()).isEqualTo(1);
    assertThat(metrics.routes().get(0).failures()).isEqualTo(1);
    assertThat(metrics.models().get(0).servingStats().errors()).containsExactly(Map.entry("InvalidRequestException", 1L));
  }

  @Test
  void should_count_every_request_of_16_threads() throws Exception {
    backends.on("m", (call, request, sink) -> slow(1));
    manager = builder().model(model("m")).build();
    Threads.concurrently(16, t -> {
      return () -> {
        for (int i = 0; i < 50; i++) {
          manager.generate(GenerateRequest.of("m", "hi"));
        }
        return null;
      };
    });
    ServingStats s = manager.model("m").orElseThrow().servingStats();
    assertThat(s.latency().count()).isEqualTo(800);
    assertThat(s.outputTokens()).isEqualTo(4_000);
  }

  @Test
  void should_start_a_model_registered_again_under_its_old_name_from_nothing() {
    manager = builder().model(model("m")).build();
    manager.generate(GenerateRequest.of("m", "hi"));
    assertThat(manager.model("m").orElseThrow().servingStats().latency().count()).isEqualTo(1);

    manager.unregister("m");
    manager.register(model("m"));

    assertThat(manager.model("m").orElseThrow().servingStats().latency().count()).isZero();
  }

  @Test
  void should_refuse_metrics_after_close() {
    manager = builder().model(model("m")).build();
    manager.close();

    assertThatThrownBy(() -> manager.metrics()).isInstanceOf(IllegalStateException.class);
  }
}
