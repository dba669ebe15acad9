package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.MutableClock;
import io.modelmux.testing.ScriptedManagerTest;
import io.modelmux.testing.Threads;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The response cache: keyed by the whole request after resolution (no two different requests
 * share an entry), deterministic requests only unless marked, one backend call for identical
 * requests in flight, a version switch never served the old version's answers, streams replayed
 * as pieces, bounds and time to live kept.
 */
class ResponseCacheTest extends ScriptedManagerTest {
  private static final CacheConfig CACHE = new CacheConfig(1_000, Duration.ofMinutes(10));

  @Override
  protected MultiModelManager.Builder builder() {
    return super.builder().cache(CACHE);
  }

  private static ModelSpec model(String id) {
    return ModelSpec.builder(id, "scripted").retry(RetryPolicy.builder().maxAttempts(1).build())
        .circuitBreaker(BreakerPolicy.disabled()).build();
  }

  /** Answers with the call's number, so that a cached answer is told from a fresh one. */
  private void numbered(String id) {
    backends.on(id, (call, request, sink) -> {
      String text = id + " answer " + call + " to " + io.modelmux.spi.PromptText.of(request);
      if (sink != null) {
        for (String w : text.split("(?<= )")) {
          sink.accept(w);
        }
      }
      return Completion.builder().text(text).finishReason(FinishReason.STOP).usage(new Usage(4, 5)).build();
    });
  }

  private static GenerateRequest.Builder greedy(String model, String prompt) {
    return GenerateRequest.builder().model(model).prompt(prompt).temperature(0);
  }

  @Test
  void should_answer_an_identical_deterministic_request_from_the_cache_and_say_so() {
    numbered("m");
    manager = builder().model(model("m")).build();

    GenerateResponse first = manager.generate(greedy("m", "hi").build());
    GenerateResponse second = manager.generate(greedy("m", "hi").build());

    assertThat(backends.calls("m")).isEqualTo(1);
    assertThat(first.cached()).isFalse();
    assertThat(second.cached()).isTrue();
    assertThat(second.text()).isEqualTo(first.text()).isEqualTo("m answer 1 to hi");
    assertThat(second.usage()).isEqualTo(first.usage());
    assertThat(second.model()).isEqualTo(first.model());
    assertThat(second.attempts()).as("no model was tried").isEmpty();
    assertThat(second.toString()).contains("cached");
    ResponseCacheStats stats = manager.metrics().cache().orElseThrow();
    assertThat(stats.hits()).isEqualTo(1);
    assertThat(stats.misses()).isEqualTo(1);
    assertThat(stats.entries()).isEqualTo(1);
    assertThat(stats.hitRate()).isEqualTo(0.5);
    ServingStats m = manager.model("m").orElseThrow().servingStats();
    assertThat(m.cacheHits()).isEqualTo(1);
    assertThat(m.cacheMisses()).isEqualTo(1);
  }

  @Test
  void should_cache_only_deterministic_or_marked_requests_and_let_a_request_opt_out() {
    numbered("m");
    manager = builder().model(model("m")).build();

    manager.generate(GenerateRequest.of("m", "sampled"));
    manager.generate(GenerateRequest.of("m", "sampled"));
    assertThat(backends.calls("m")).as("temperature unset: sampled, not cached").isEqualTo(2);

    manager.generate(GenerateRequest.builder().model("m").prompt("seeded").temperature(0.8).seed(7).build());
    manager.generate(GenerateRequest.builder().model("m").prompt("seeded").temperature(0.8).seed(7).build());
    assertThat(backends.calls("m")).as("a seed makes it deterministic").isEqualTo(3);

    manager.generate(GenerateRequest.builder().model("m").prompt("marked").cacheable(true).build());
    manager.generate(GenerateRequest.builder().model("m").prompt("marked").cacheable(true).build());
    assertThat(backends.calls("m")).as("marked cacheable").isEqualTo(4);

    manager.generate(greedy("m", "out").cacheable(false).build());
    manager.generate(greedy("m", "out").cacheable(false).build());
    assertThat(backends.calls("m")).as("opted out").isEqualTo(6);
    assertThat(manager.metrics().cache().orElseThrow().hits() + manager.metrics().cache().orElseThrow().misses())
        .as("only cacheable requests are counted").isEqualTo(4);
  }

  @Test
  void should_never_share_an_entry_between_requests_that_differ_in_anything_that_changes_the_answer() {
    numbered("m");
    numbered("n");
    manager = builder().model(model("m")).model(model("n")).build();
    List<GenerateRequest> requests = List.of(
        greedy("m", "hi").build(),
        greedy("m", "hi ").build(),
        greedy("m", "Hi").build(),
        greedy("n", "hi").build(),
        greedy("m", "hi").maxTokens(5).build(),
        greedy("m", "hi").maxTokens(6).build(),
        greedy("m", "hi").topP(0.5).build(),
        greedy("m", "hi").topK(3).build(),
        greedy("m", "hi").stop("x").build(),
        greedy("m", "hi").stop("x", "y").build(),
        greedy("m", "hi").seed(1).build(),
        greedy("m", "hi").seed(2).build(),
        GenerateRequest.builder().model("m").prompt("hi").seed(1).build(),
        GenerateRequest.builder().model("m").message(ChatMessage.user("hi")).temperature(0).build(),
        GenerateRequest.builder().model("m").message(ChatMessage.system("hi")).temperature(0).build(),
        GenerateRequest.builder().model("m").message(ChatMessage.user("hi")).message(ChatMessage.user("hi")).temperature(0).build());

    for (GenerateRequest r : requests) {
      assertThat(manager.generate(r).cached()).as("first time: %s", r).isFalse();
    }
    for (GenerateRequest r : requests) {
      GenerateResponse again = manager.generate(r);
      assertThat(again.cached()).as("second time: %s", r).isTrue();
    }
    assertThat(backends.calls("m") + backends.calls("n")).isEqualTo(requests.size());
    assertThat(manager.metrics().cache().orElseThrow().entries()).isEqualTo(requests.size());
  }

  @Test
  void should_share_an_entry_across_the_names_of_one_model_and_ignore_deadline_and_routing_key() {
    numbered("m");
    manager = builder().model(model("m")).alias("prod", "m")
        .route(RouteConfig.builder("chat").target("m").build()).build();

    manager.generate(greedy("m", "hi").build());

    assertThat(manager.generate(greedy("prod", "hi").build()).cached()).isTrue();
    assertThat(manager.generate(greedy("m@latest", "hi").build()).cached()).isTrue();
    assertThat(manager.generate(greedy("chat", "hi").routingKey("user-1").timeout(Duration.ofMinutes(1)).build()).cached()).isTrue();
    assertThat(backends.calls("m")).isEqualTo(1);
  }

  @Test
  void should_never_serve_the_old_versions_answers_after_a_switch_or_a_new_registration() throws Exception {
    numbered("m");
    manager = builder().model(ModelSpec.builder("m", "scripted").version("1").build())
        .model(ModelSpec.builder("m", "scripted").version("2").build()).alias("prod", "m@1").build();

    GenerateResponse v1 = manager.generate(greedy("prod", "hi").build());
    assertThat(v1.model().version()).isEqualTo("1");
    manager.switchTarget("prod", "m@2").get(10, TimeUnit.SECONDS);

    GenerateResponse v2 = manager.generate(greedy("prod", "hi").build());
    assertThat(v2.cached()).isFalse();
    assertThat(v2.model().version()).isEqualTo("2");

    manager.unregister("m@2");
    manager.register(ModelSpec.builder("m", "scripted").version("2").build());
    GenerateResponse again = manager.generate(greedy("m@2", "hi").build());
    assertThat(again.cached()).as("a new registration under the old name starts with no answers").isFalse();
    assertThat(backends.calls("m")).isEqualTo(3);
  }

  @Test
  void should_drop_a_registrations_answers_when_it_is_unregistered() {
    numbered("m");
    numbered("n");
    manager = builder().model(model("m")).model(model("n")).build();
    for (int i = 0; i < 5; i++) {
      manager.generate(greedy("m", "q" + i).build());
      manager.generate(greedy("n", "q" + i).build());
    }
    assertThat(manager.metrics().cache().orElseThrow().entries()).isEqualTo(10);

    manager.unregister("m");

    assertThat(manager.metrics().cache().orElseThrow().entries()).isEqualTo(5);
  }

  @Test
  void should_make_one_backend_call_for_16_identical_requests_in_flight() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger entered = new AtomicInteger();
    backends.on("m", (call, request, sink) -> {
      entered.incrementAndGet();
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Completion.of("the one answer", FinishReason.STOP);
    });
    manager = builder().model(model("m")).build();
    manager.load("m");
    List<GenerateResponse> responses = new CopyOnWriteArrayList<>();

    Thread releaser = new Thread(() -> {
      io.modelmux.testing.Await.until(() -> entered.get() == 1, "the first call");
      // every request has looked the key up (a miss each) and so waits for the one in flight
      io.modelmux.testing.Await.until(() -> manager.metrics().cache().orElseThrow().misses() == 16, "16 lookups");
      release.countDown();
    });
    releaser.start();
    Threads.concurrently(16, t -> () -> responses.add(manager.generate(greedy("m", "same").build())));
    releaser.join();

    assertThat(backends.calls("m")).isEqualTo(1);
    assertThat(responses).hasSize(16).allSatisfy(r -> assertThat(r.text()).isEqualTo("the one answer"));
    assertThat(responses).filteredOn(GenerateResponse::cached).hasSize(15);
    ResponseCacheStats stats = manager.metrics().cache().orElseThrow();
    assertThat(stats.hits()).isEqualTo(15);
    assertThat(stats.misses()).isEqualTo(1);
    assertThat(stats.coalesced()).isEqualTo(15);
  }

  @Test
  void should_let_each_waiting_request_call_on_its_own_when_the_one_in_flight_fails() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    backends.on("m", (call, request, sink) -> {
      if (call == 1) {
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new BackendException("503", "m", true, 503, null, null, null);
      }
      return Completion.of("answer " + call, FinishReason.STOP);
    });
    manager = builder().model(model("m")).build();
    manager.load("m");
    List<Object> outcomes = new CopyOnWriteArrayList<>();

    Thread releaser = new Thread(() -> {
      io.modelmux.testing.Await.until(() -> backends.calls("m") == 1, "the first call");
      io.modelmux.testing.Await.until(() -> manager.metrics().cache().orElseThrow().misses() == 4, "4 lookups");
      release.countDown();
    });
    releaser.start();
    Threads.concurrently(4, t -> () -> {
      try {
        outcomes.add(manager.generate(greedy("m", "same").build()).text());
      } catch (BackendException e) {
        outcomes.add(e);
      }
      return null;
    });
    releaser.join();

    assertThat(outcomes).filteredOn(o -> o instanceof BackendException).hasSize(1);
    assertThat(outcomes).filteredOn(o -> o instanceof String).hasSize(3);
    assertThat(backends.calls("m")).as("the failure is not shared; the followers coalesce again or call").isBetween(2, 4);
  }

  @Test
  void should_replay_a_cached_answer_to_a_stream_as_pieces() {
    numbered("m");
    manager = builder().model(model("m")).build();
    GenerateResponse first = manager.generate(greedy("m", "to be or not").build());

    List<String> pieces = new CopyOnWriteArrayList<>();
    GenerateResponse streamed = manager.stream(greedy("m", "to be or not").build(), new StreamListener() {
      @Override
      public void onToken(String piece) {
        pieces.add(piece);
      }

      @Override
      public void onComplete(GenerateResponse response) {}

      @Override
      public void onError(ModelMuxException error) {}
    }).completion().join();

    assertThat(streamed.cached()).isTrue();
    assertThat(pieces).hasSizeGreaterThan(3);
    assertThat(String.join("", pieces)).isEqualTo(first.text());
    assertThat(streamed.text()).isEqualTo(first.text());
    assertThat(streamed.timeToFirstToken()).isPresent();
    assertThat(backends.calls("m")).isEqualTo(1);
  }

  @Test
  void should_keep_a_streamed_answer_and_not_a_cancelled_one() {
    numbered("m");
    manager = builder().model(model("m")).build();

    StringBuilder first = new StringBuilder();
    for (String piece : manager.stream(greedy("m", "streamed once").build())) {
      first.append(piece);
    }
    GenerateResponse again = manager.generate(greedy("m", "streamed once").build());
    assertThat(again.cached()).isTrue();
    assertThat(again.text()).isEqualTo(first.toString());

    StreamHandle cancelled = manager.stream(greedy("m", "cancel me").build(), new StreamListener() {
      @Override
      public void onToken(String piece) {
        throw new IllegalStateException("stop at the first piece"); // the session cancels the stream
      }

      @Override
      public void onComplete(GenerateResponse response) {}

      @Override
      public void onError(ModelMuxException error) {}
    });
    assertThat(cancelled.completion().join().finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(manager.generate(greedy("m", "cancel me").build()).cached()).isFalse();
  }

  @Test
  void should_not_keep_a_fallbacks_answer_under_the_targets_key() {
    backends.on("m", (call, request, sink) -> {
      throw new BackendException("503", "m", true, 503, null, null, null);
    });
    numbered("spare");
    manager = builder().model(model("m")).model(model("spare"))
        .route(RouteConfig.builder("chat").target("m").fallbacks(List.of("spare")).build()).build();

    GenerateResponse first = manager.generate(greedy("chat", "hi").build());
    GenerateResponse second = manager.generate(greedy("chat", "hi").build());

    assertThat(first.model().id()).isEqualTo("spare");
    assertThat(second.cached()).isFalse();
    assertThat(backends.calls("m")).isEqualTo(2);
  }

  @Test
  void should_forget_answers_after_the_ttl() {
    numbered("m");
    MutableClock clock = new MutableClock(Instant.parse("2026-11-29T00:00:00Z"));
    manager = builder().clock(clock).cache(new CacheConfig(100, Duration.ofMinutes(5))).model(model("m")).build();

    manager.generate(greedy("m", "hi").build());
    clock.advance(Duration.ofMinutes(4));
    assertThat(manager.generate(greedy("m", "hi").build()).cached()).isTrue();
    clock.advance(Duration.ofMinutes(2));
    assertThat(manager.generate(greedy("m", "hi").build()).cached()).as("stored 6 minutes ago").isFalse();
    assertThat(backends.calls("m")).isEqualTo(2);
  }

  @Test
  void should_stay_within_its_entries_and_bytes() {
    numbered("m");
    manager = builder().cache(new CacheConfig(8, 64 << 10, Duration.ofMinutes(5))).model(model("m")).build();

    for (int i = 0; i < 50; i++) {
      manager.generate(greedy("m", "question " + i).build());
    }
    assertThat(manager.metrics().cache().orElseThrow().entries()).isLessThanOrEqualTo(8);

    String big = "x".repeat(6_000); // each answer repeats its prompt: about 24 KB an entry
    for (int i = 0; i < 20; i++) {
      manager.generate(greedy("m", big + i).build());
    }
    ResponseCacheStats stats = manager.metrics().cache().orElseThrow();
    assertThat(stats.bytes()).isLessThanOrEqualTo(64 << 10);
    assertThat(stats.entries()).isLessThanOrEqualTo(2);
    assertThat(stats.evictions()).isPositive();
  }

  @Test
  void should_be_off_without_a_cache_section() {
    numbered("m");
    manager = MultiModelManager.builder().environment(n -> null).factory(backends).model(model("m")).build();

    manager.generate(greedy("m", "hi").build());
    assertThat(manager.generate(greedy("m", "hi").build()).cached()).isFalse();
    assertThat(manager.metrics().cache()).isEmpty();
  }

  @Test
  void should_not_answer_from_the_cache_after_close() {
    numbered("m");
    manager = builder().model(model("m")).build();
    manager.generate(greedy("m", "hi").build());
    manager.close();

    assertThatThrownBy(() -> manager.generate(greedy("m", "hi").build())).isInstanceOf(IllegalStateException.class);
  }
}
