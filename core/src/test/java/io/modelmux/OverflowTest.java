package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.ScriptedModelFactory;
import io.modelmux.testing.StandardError;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Overflow between models that serve the same job ({@code overflow_to}): a request leaves, before
 * any call, a model that is rate limited, cold with a busy model in the way, or queued past its
 * deadline; and on failure the equivalents are tried after the route's fallbacks.
 */
class OverflowTest {
  private static final RetryPolicy QUICK = RetryPolicy.builder().backoff(Duration.ofMillis(1)).maxBackoff(Duration.ofMillis(5)).build();
  private static final Hardware HOST_ONLY = new Hardware(16L << 30, List.of(), false);

  private final ScriptedModelFactory backends = new ScriptedModelFactory();
  private MultiModelManager manager;

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
  }

  private MultiModelManager.Builder builder() {
    return MultiModelManager.builder().environment(n -> null).factory(backends);
  }

  @Test
  void should_send_a_rate_limited_models_requests_to_its_equivalent_until_the_wait_passes() {
    backends.on("remote", (call, request, sink) -> {
      throw new RateLimitedException("429", "remote", 429, Duration.ofSeconds(30), null);
    });
    backends.on("local", (call, request, sink) -> Completion.of("local", FinishReason.STOP));
    manager = builder()
        .model(ModelSpec.builder("remote", "scripted").retry(QUICK).overflowTo(List.of("local")).build())
        .model(ModelSpec.builder("local", "scripted").build())
        .build();

    GenerateResponse first = manager.generate(GenerateRequest.of("remote", "hi"));
    GenerateResponse second = manager.generate(GenerateRequest.of("remote", "hi"));

    assertThat(first.text()).as("the 429 fails over to the equivalent").isEqualTo("local");
    assertThat(first.attempts()).extracting(Attempt::outcome).containsExactly(Attempt.Outcome.FAILED, Attempt.Outcome.SUCCEEDED);
    assertThat(second.text()).isEqualTo("local");
    assertThat(second.attempts()).extracting(a -> a.model().id(), Attempt::outcome)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("remote", Attempt.Outcome.OVERFLOWED),
            org.assertj.core.groups.Tuple.tuple("local", Attempt.Outcome.SUCCEEDED));
    assertThat(backends.calls("remote")).as("no call while the backend asked to wait").isEqualTo(1);
  }

  @Test
  void should_not_evict_a_model_in_recent_use_to_load_one_whose_equivalent_can_serve() {
    MemoryConfig oneFits = new MemoryConfig(MemoryConfig.Amount.ofBytes(1_000), null, null, -1, "lru", Map.of());
    manager = MultiModelManager.builder().environment(n -> null).memory(oneFits).hardware(HOST_ONLY)
        .model(ModelSpec.builder("busy", "echo").option("bytes", 800).build())
        .model(ModelSpec.builder("local", "echo").option("bytes", 800).overflowTo(List.of("remote")).build())
        .model(ModelSpec.builder("remote", "echo").option("bytes", 0).build()) // takes no local memory, as a remote model
        .build();
    manager.generate(GenerateRequest.of("busy", "hi")); // resident and just used

    GenerateResponse r = manager.generate(GenerateRequest.of("local", "hi"));

    assertThat(r.model().id()).isEqualTo("remote");
    assertThat(r.attempts().get(0).outcome()).isEqualTo(Attempt.Outcome.OVERFLOWED);
    assertThat(manager.model("busy").orElseThrow().tier()).as("not evicted").isEqualTo(Tier.ACTIVE);
    assertThat(manager.model("local").orElseThrow().tier()).isEqualTo(Tier.COLD);
  }

  @Test
  void should_load_a_cold_model_that_fits_without_displacing_anything() {
    MemoryConfig roomy = new MemoryConfig(MemoryConfig.Amount.ofBytes(10_000), null, null, -1, "lru", Map.of());
    manager = MultiModelManager.builder().environment(n -> null).memory(roomy).hardware(HOST_ONLY)
        .model(ModelSpec.builder("busy", "echo").option("bytes", 800).build())
        .model(ModelSpec.builder("local", "echo").option("bytes", 800).overflowTo(List.of("remote")).build())
        .model(ModelSpec.builder("remote", "echo").option("bytes", 0).build()) // takes no local memory, as a remote model
        .build();
    manager.generate(GenerateRequest.of("busy", "hi"));

    assertThat(manager.generate(GenerateRequest.of("local", "hi")).model().id()).isEqualTo("local");
  }

  @Test
  void should_send_a_request_elsewhere_when_the_queue_ahead_would_pass_its_deadline() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch holding = new CountDownLatch(1);
    backends.on("local", (call, request, sink) -> {
      if (call == 1) {
        await(new CountDownLatch(1), 200); // the backend takes 200 ms: that teaches the model's median latency
        return Completion.of("local", FinishReason.STOP);
      }
      holding.countDown();
      await(release, 30_000); // holds the only slot
      return Completion.of("local", FinishReason.STOP);
    });
    backends.on("remote", (call, request, sink) -> Completion.of("remote", FinishReason.STOP));
    manager = builder()
        .model(ModelSpec.builder("local", "scripted").maxConcurrency(1).overflowTo(List.of("remote")).build())
        .model(ModelSpec.builder("remote", "scripted").build())
        .build();
    manager.generate(GenerateRequest.of("local", "learn"));
    CompletableFuture<GenerateResponse> holder = manager.generateAsync(GenerateRequest.of("local", "hold"));
    try {
      assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();

      GenerateResponse hurried = manager.generate(GenerateRequest.builder().model("local").prompt("hi").timeout(Duration.ofMillis(100)).build());
      assertThat(hurried.model().id()).as("a 200 ms turn does not fit a 100 ms deadline").isEqualTo("remote");
      assertThat(hurried.attempts().get(0).outcome()).isEqualTo(Attempt.Outcome.OVERFLOWED);
    } finally {
      release.countDown();
    }
    assertThat(holder.get(10, TimeUnit.SECONDS).model().id()).isEqualTo("local");
  }

  @Test
  void should_warn_of_a_name_that_leads_nowhere_and_follow_a_model_registered_again() {
    String err = StandardError.capture(() -> {
      backends.on("remote", (call, request, sink) -> {
        throw new RateLimitedException("429", "remote", 429, Duration.ofSeconds(30), null);
      });
      manager = builder().model(ModelSpec.builder("remote", "scripted").retry(QUICK).overflowTo(List.of("local", "gone")).build()).build();
    });
    assertThat(err)
        .contains("model remote@latest overflows to 'local', which is not registered")
        .contains("overflows to 'gone'");

    manager.register(ModelSpec.builder("local", "scripted").version("1").build());
    assertThat(manager.generate(GenerateRequest.of("remote", "hi")).model()).isEqualTo(new ModelRef("local", "1"));
    manager.unregister("local");
    manager.register(ModelSpec.builder("local", "scripted").version("2").build());

    GenerateResponse r = manager.generate(GenerateRequest.of("remote", "hi"));

    assertThat(r.model()).as("the name leads to the new registration").isEqualTo(new ModelRef("local", "2"));
    assertThat(r.attempts().get(0).outcome()).isEqualTo(Attempt.Outcome.OVERFLOWED);
  }

  private static void await(CountDownLatch latch, long millis) {
    try {
      latch.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
