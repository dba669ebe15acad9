package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.Await;
import io.modelmux.testing.GateModelFactory;
import io.modelmux.testing.MutableClock;
import io.modelmux.testing.ScriptedModelFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The guard stage: one retry loop per request whose wait comes from the failure at hand and never
 * passes the deadline, circuit breakers per model, concurrency limits with a bounded queue, and
 * route fallbacks, against scripted backends whose calls are counted.
 */
class GuardTest {
  private static final RetryPolicy QUICK = RetryPolicy.builder().backoff(Duration.ofMillis(1)).maxBackoff(Duration.ofMillis(5)).build();

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

  private static ModelSpec.Builder model(String id) {
    return ModelSpec.builder(id, "scripted").retry(QUICK);
  }

  private static BackendException unavailable(String id) {
    return new BackendException("backend of " + id + " answered 503", id, true, 503, null, null, null);
  }

  private static RateLimitedException rateLimited(String id, Duration retryAfter) {
    return new RateLimitedException("backend of " + id + " answered 429", id, 429, retryAfter, null);
  }

  private static Completion ok(String text) {
    return Completion.of(text, FinishReason.STOP);
  }

  // ---- retries ---------------------------------------------------------------------------------

  @Test
  void should_retry_a_retryable_failure_on_the_same_model_and_list_the_attempts() {
    backends.on("m", (call, request, sink) -> {
      if (call < 3) {
        throw unavailable("m");
      }
      return ok("third time");
    });
    manager = builder().model(model("m").build()).build();

    GenerateResponse r = manager.generate(GenerateRequest.of("m", "hi"));

    assertThat(r.text()).isEqualTo("third time");
    assertThat(backends.calls("m")).isEqualTo(3);
    assertThat(r.attempts()).extracting(Attempt::outcome)
        .containsExactly(Attempt.Outcome.FAILED, Attempt.Outcome.FAILED, Attempt.Outcome.SUCCEEDED);
    assertThat(r.attempts().get(0).errorType()).hasValue("BackendException");
    assertThat(r.attempts().get(0).reason()).hasValue(unavailable("m").getMessage());
    assertThat(r.attempts().get(0).toString()).contains("FAILED (BackendException: " + unavailable("m").getMessage() + ")");
    assertThat(r.attempts().get(2).reason()).isEmpty();
    assertThat(manager.model("m").orElseThrow().guardStats().retries()).isEqualTo(2);
  }

  @Test
  void should_make_no_more_attempts_than_configured_and_keep_every_failure() {
    backends.on("m", (call, request, sink) -> {
      throw unavailable("m");
    });
    manager = builder().model(model("m").retry(QUICK.toBuilder().maxAttempts(4).build()).build()).build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "hi")))
        .isInstanceOf(BackendException.class)
        .satisfies(e -> assertThat(e.getSuppressed()).hasSize(3));
    assertThat(backends.calls("m")).isEqualTo(4);
  }

  @Test
  void should_not_try_a_model_more_than_its_max_attempts_in_one_request_even_if_named_again() {
    backends.on("m", (call, request, sink) -> {
      throw unavailable("m");
    });
    manager = builder().model(model("m").retry(QUICK.toBuilder().maxAttempts(2).build()).build())
        .route(RouteConfig.builder("chat").target("m").fallbacks(List.of("m")).build()).build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("chat", "hi"))).isInstanceOf(BackendException.class);
    assertThat(backends.calls("m")).as("2 attempts for the request, not 2 per mention").isEqualTo(2);
  }

  @Test
  void should_never_retry_a_failure_of_the_request_itself() {
    backends.on("m", (call, request, sink) -> {
      throw new InvalidRequestException("the prompt is malformed", "m", null);
    });
    backends.on("spare", (call, request, sink) -> ok("spare"));
    manager = builder().model(model("m").build()).model(model("spare").build())
        .route(RouteConfig.builder("chat").target("m").fallbacks(List.of("spare")).build()).build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("chat", "hi"))).isInstanceOf(InvalidRequestException.class);
    assertThat(backends.calls("m")).isEqualTo(1);
    assertThat(backends.calls("spare")).as("a request error goes to the caller, not to a fallback").isZero();
  }

  @Test
  void should_wait_what_the_current_failure_asks_not_what_the_first_asked() {
    backends.on("m", (call, request, sink) -> {
      if (call == 1) {
        throw rateLimited("m", Duration.ofMillis(20));
      }
      if (call == 2) {
        throw rateLimited("m", Duration.ofMillis(700));
      }
      return ok("done");
    });
    manager = builder().model(model("m").retry(QUICK.toBuilder().maxBackoff(Duration.ofSeconds(5)).build()).build()).build();

    long start = System.nanoTime();
    GenerateResponse r = manager.generate(GenerateRequest.of("m", "hi"));
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(r.text()).isEqualTo("done");
    assertThat(waited).as("the second failure asked for 700 ms; the first one's 20 ms must not stand in for it").isGreaterThanOrEqualTo(700);
  }

  @Test
  void should_not_wait_past_the_deadline_but_move_to_the_fallback_at_once() {
    backends.on("m", (call, request, sink) -> {
      throw rateLimited("m", Duration.ofSeconds(20));
    });
    backends.on("spare", (call, request, sink) -> ok("spare"));
    manager = builder().model(model("m").retry(QUICK.toBuilder().maxBackoff(Duration.ofSeconds(60)).build()).build())
        .model(model("spare").build())
        .route(RouteConfig.builder("chat").target("m").fallbacks(List.of("spare")).build()).build();

    long start = System.nanoTime();
    GenerateResponse r = manager.generate(GenerateRequest.builder().model("chat").prompt("hi").timeout(Duration.ofSeconds(10)).build());

    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
    assertThat(r.text()).isEqualTo("spare");
    assertThat(backends.calls("m")).as("a 20 s wait does not fit a 10 s deadline: no retry").isEqualTo(1);
    assertThat(r.attempts()).extracting(a -> a.model().id(), Attempt::outcome)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("m", Attempt.Outcome.FAILED),
            org.assertj.core.groups.Tuple.tuple("spare", Attempt.Outcome.SUCCEEDED));
  }

  @Test
  void should_not_wait_longer_than_max_backoff_even_when_asked_to() {
    backends.on("m", (call, request, sink) -> {
      throw rateLimited("m", Duration.ofSeconds(30));
    });
    manager = builder().model(model("m").build()).build(); // max_backoff 5 ms

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "hi")))
        .isInstanceOfSatisfying(RateLimitedException.class, e -> assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(30)));
    assertThat(backends.calls("m")).as("the caller gets the failure and the wait it asked for").isEqualTo(1);
  }

  // ---- fallbacks -------------------------------------------------------------------------------

  @Test
  void should_try_the_fallbacks_in_order_after_the_retries() {
    backends.on("a", (call, request, sink) -> {
      throw unavailable("a");
    });
    backends.on("b", (call, request, sink) -> {
      throw new BackendTimeoutException("b timed out", "b", "total_timeout", Duration.ofSeconds(1), null, null);
    });
    backends.on("c", (call, request, sink) -> ok("c answered"));
    manager = builder().model(model("a").build()).model(model("b").retry(RetryPolicy.none()).build()).model(model("c").build())
        .route(RouteConfig.builder("chat").target("a").fallbacks(List.of("b", "c")).build()).build();

    GenerateResponse r = manager.generate(GenerateRequest.of("chat", "hi"));

    assertThat(r.text()).isEqualTo("c answered");
    assertThat(r.model().id()).isEqualTo("c");
    assertThat(r.attempts()).extracting(a -> a.model().id()).containsExactly("a", "a", "a", "b", "c");
    assertThat(r.attempts().get(3).errorType()).hasValue("BackendTimeoutException");
  }

  @Test
  void should_refuse_a_route_whose_fallback_is_unknown_or_itself() {
    assertThatThrownBy(() -> builder().model(model("a").build())
            .route(RouteConfig.builder("chat").target("a").fallbacks(List.of("nope")).build()).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("falls back to 'nope'").hasMessageContaining("known: a");
    assertThatThrownBy(() -> builder().model(model("a").build())
            .route(RouteConfig.builder("chat").target("a").fallbacks(List.of("chat")).build()).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("lists itself as a fallback");
    assertThatThrownBy(() -> builder().model(model("a").build())
            .route(RouteConfig.builder("chat").target("a").onContextLength("huge").build()).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("sends failed requests to 'huge'");
    assertThatThrownBy(() -> builder().model(model("a").build())
            .route(RouteConfig.builder("chat").target("a").onContentFilter("chat").build()).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("back to itself");
  }

  // ---- error-class fallbacks -----------------------------------------------------------------

  @Test
  void should_send_a_prompt_too_long_for_the_model_to_the_routes_on_context_length_model() {
    backends.on("small", (call, request, sink) -> {
      throw new ContextLengthExceededException("too long for small", "small", 400, 5000, 4096, null);
    });
    backends.on("big", (call, request, sink) -> ok("big read it all"));
    backends.on("spare", (call, request, sink) -> ok("spare"));
    manager = builder().model(model("small").build()).model(model("big").build()).model(model("spare").build())
        .route(RouteConfig.builder("chat").target("small").fallbacks(List.of("spare")).onContextLength("big").build()).build();

    GenerateResponse r = manager.generate(GenerateRequest.of("chat", "a long prompt"));

    assertThat(r.text()).isEqualTo("big read it all");
    assertThat(backends.calls("small")).as("not retried: the same prompt fails the same way").isEqualTo(1);
    assertThat(backends.calls("spare")).as("the fallbacks are for failures that may pass").isZero();
    assertThat(r.attempts()).extracting(a -> a.model().id(), a -> a.errorType().orElse(""))
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("small", "ContextLengthExceededException"),
            org.assertj.core.groups.Tuple.tuple("big", ""));
    assertThat(manager.model("small").orElseThrow().guardStats().failureRate()).as("not the backend's fault").isEmpty();
  }

  @Test
  void should_not_call_a_model_whose_tokenizer_counts_the_prompt_as_too_long_when_a_route_has_somewhere_else() {
    backends.context("small", 10).on("big", (call, request, sink) -> ok("big"));
    manager = builder().model(model("small").build()).model(model("big").build())
        .route(RouteConfig.builder("chat").target("small").onContextLength("big").build()).build();

    GenerateResponse r = manager.generate(GenerateRequest.of("chat", "a prompt of more than ten characters"));

    assertThat(r.text()).isEqualTo("big");
    assertThat(backends.calls("small")).as("counted locally: no call").isZero();
    assertThat(manager.generate(GenerateRequest.of("chat", "short")).text()).as("a prompt that fits stays").isEqualTo("ok");
    assertThat(manager.generate(GenerateRequest.of("small", "a prompt of more than ten characters")).text())
        .as("without a route's on_context_length the model is called as before (a local model truncates)")
        .isEqualTo("ok");
    assertThat(backends.calls("small")).isEqualTo(2);
  }

  @Test
  void should_send_a_filtered_request_to_on_content_filter_or_give_the_caller_the_typed_error() {
    backends.on("strict", (call, request, sink) -> {
      throw new ContentFilteredException("blocked by strict", "strict", null);
    });
    backends.on("lenient", (call, request, sink) -> ok("lenient"));
    manager = builder().model(model("strict").build()).model(model("lenient").build())
        .route(RouteConfig.builder("routed").target("strict").onContentFilter("lenient").build())
        .route(RouteConfig.builder("plain").target("strict").fallbacks(List.of("lenient")).build()).build();

    assertThat(manager.generate(GenerateRequest.of("routed", "hi")).text()).isEqualTo("lenient");
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("plain", "hi"))).isInstanceOf(ContentFilteredException.class);
    assertThat(backends.calls("lenient")).as("a filtered request is not a failure that may pass: no fallback").isEqualTo(1);
  }

  // ---- circuit breakers ------------------------------------------------------------------------

  @Test
  void should_open_the_circuit_skip_the_model_and_close_it_after_a_good_probe() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-28T00:00:00Z"));
    AtomicInteger healthyFrom = new AtomicInteger(Integer.MAX_VALUE);
    backends.on("m", (call, request, sink) -> {
      if (call < healthyFrom.get()) {
        throw unavailable("m");
      }
      return ok("back");
    });
    BreakerPolicy breaker = BreakerPolicy.builder().window(4).minimumCalls(4).failureRate(50).openFor(Duration.ofSeconds(10)).build();
    manager = builder().clock(clock).model(model("m").retry(RetryPolicy.none()).circuitBreaker(breaker).build()).build();

    for (int i = 0; i < 4; i++) {
      assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "hi"))).isInstanceOf(BackendException.class);
    }
    assertThat(manager.model("m").orElseThrow().circuit()).isEqualTo(GuardStats.CircuitState.OPEN);

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "hi")))
        .isInstanceOfSatisfying(CircuitOpenException.class, e -> {
          assertThat(e).hasMessageContaining("'m@latest'").hasMessageContaining("probe at 2026-11-28T00:00:10Z");
          assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(10));
        });
    assertThat(backends.calls("m")).as("an open circuit keeps requests away from the backend").isEqualTo(4);
    GuardStats open = manager.model("m").orElseThrow().guardStats();
    assertThat(open.probeAt()).hasValue(Instant.parse("2026-11-28T00:00:10Z"));
    assertThat(open.failureRate()).hasValue(100f);
    assertThat(open.circuitOpen()).isEqualTo(1);

    healthyFrom.set(5);
    clock.advance(Duration.ofSeconds(10).plusMillis(1));
    assertThat(manager.generate(GenerateRequest.of("m", "hi")).text()).isEqualTo("back");
    assertThat(manager.model("m").orElseThrow().circuit()).isEqualTo(GuardStats.CircuitState.CLOSED);
  }

  @Test
  void should_not_count_failures_of_the_request_itself_against_the_backend() {
    backends.on("m", (call, request, sink) -> {
      throw new InvalidRequestException("bad prompt", "m", null);
    });
    manager = builder().model(model("m").circuitBreaker(BreakerPolicy.builder().window(2).minimumCalls(2).build()).build()).build();

    for (int i = 0; i < 10; i++) {
      assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "hi"))).isInstanceOf(InvalidRequestException.class);
    }
    assertThat(manager.model("m").orElseThrow().circuit()).isEqualTo(GuardStats.CircuitState.CLOSED);
    assertThat(backends.calls("m")).isEqualTo(10);
  }

  @Test
  void should_skip_an_open_model_for_its_fallback_and_name_every_open_model_when_none_is_left() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-28T00:00:00Z"));
    backends.on("a", (call, request, sink) -> {
      throw unavailable("a");
    });
    backends.on("b", (call, request, sink) -> {
      throw unavailable("b");
    });
    BreakerPolicy breaker = BreakerPolicy.builder().window(2).minimumCalls(2).openFor(Duration.ofSeconds(30)).build();
    manager = builder().clock(clock)
        .model(model("a").retry(RetryPolicy.none()).circuitBreaker(breaker).build())
        .model(model("b").retry(RetryPolicy.none()).circuitBreaker(breaker.toBuilder().openFor(Duration.ofSeconds(20)).build()).build())
        .route(RouteConfig.builder("chat").target("a").fallbacks(List.of("b")).build()).build();

    for (int i = 0; i < 2; i++) { // each request fails on a, then on b: both open after two
      assertThatThrownBy(() -> manager.generate(GenerateRequest.of("chat", "hi"))).isInstanceOf(BackendException.class);
    }

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("chat", "hi")))
        .isInstanceOfSatisfying(CircuitOpenException.class, e -> {
          assertThat(e).hasMessageContaining("'a@latest' (probe at 2026-11-28T00:00:30Z)")
              .hasMessageContaining("'b@latest' (probe at 2026-11-28T00:00:20Z)");
          assertThat(e.retryAfter()).as("the earliest probe").hasValue(Duration.ofSeconds(20));
        });
    assertThat(backends.calls("a") + backends.calls("b")).isEqualTo(4);
  }

  @Test
  void should_wait_for_the_earliest_probe_when_it_comes_before_the_deadline() {
    AtomicInteger healthyFrom = new AtomicInteger(Integer.MAX_VALUE);
    backends.on("m", (call, request, sink) -> {
      if (call < healthyFrom.get()) {
        throw unavailable("m");
      }
      return ok("probe passed");
    });
    BreakerPolicy breaker = BreakerPolicy.builder().window(2).minimumCalls(2).openFor(Duration.ofMillis(300)).build();
    manager = builder().model(model("m").retry(RetryPolicy.none()).circuitBreaker(breaker).build()).build();
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "hi"))).isInstanceOf(BackendException.class);
    }
    healthyFrom.set(3);

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "no deadline: no wait")))
        .isInstanceOf(CircuitOpenException.class);
    GenerateResponse r = manager.generate(GenerateRequest.builder().model("m").prompt("hi").timeout(Duration.ofSeconds(10)).build());

    assertThat(r.text()).isEqualTo("probe passed");
    assertThat(r.attempts()).extracting(Attempt::outcome).containsExactly(Attempt.Outcome.CIRCUIT_OPEN, Attempt.Outcome.SUCCEEDED);
  }

  @Test
  void should_wait_for_a_probe_once_and_then_give_up_when_it_does_not_come() {
    MutableClock frozen = new MutableClock(Instant.parse("2026-11-28T00:00:00Z")); // the probe time never comes
    backends.on("m", (call, request, sink) -> {
      throw unavailable("m");
    });
    BreakerPolicy breaker = BreakerPolicy.builder().window(2).minimumCalls(2).openFor(Duration.ofMillis(200)).build();
    manager = builder().clock(frozen).model(model("m").retry(RetryPolicy.none()).circuitBreaker(breaker).build()).build();
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "hi"))).isInstanceOf(BackendException.class);
    }

    long start = System.nanoTime();
    assertThatThrownBy(() -> manager.generate(
            GenerateRequest.builder().model("m").prompt("hi").deadline(frozen.instant().plusSeconds(60)).build()))
        .isInstanceOf(CircuitOpenException.class);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("one wait of 200 ms, not a loop").isLessThan(5_000);
  }

  @Test
  void should_open_under_16_threads_and_let_exactly_one_probe_through() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-28T00:00:00Z"));
    AtomicInteger healthyFrom = new AtomicInteger(Integer.MAX_VALUE);
    CountDownLatch probing = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    backends.on("m", (call, request, sink) -> {
      if (call < healthyFrom.get()) {
        throw unavailable("m");
      }
      probing.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return ok("probe");
    });
    BreakerPolicy breaker = BreakerPolicy.builder().window(5).minimumCalls(5).openFor(Duration.ofSeconds(10)).build();
    manager = builder().clock(clock).model(model("m").retry(RetryPolicy.none()).circuitBreaker(breaker).build()).build();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < 20; i++) {
            try {
              manager.generate(GenerateRequest.of("m", "hi"));
            } catch (BackendException | CircuitOpenException e) {
              // failing, then open
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
      int failedCalls = backends.calls("m");
      assertThat(failedCalls).as("the circuit opened after 5 calls; at most the 16 in flight then got through").isBetween(5, 5 + 16);
      assertThat(manager.model("m").orElseThrow().circuit()).isEqualTo(GuardStats.CircuitState.OPEN);

      healthyFrom.set(failedCalls + 1);
      clock.advance(Duration.ofSeconds(11));
      List<Future<GenerateResponse>> round = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        round.add(pool.submit(() -> manager.generate(GenerateRequest.of("m", "hi"))));
      }
      assertThat(probing.await(10, TimeUnit.SECONDS)).isTrue();
      Await.until(() -> round.stream().filter(Future::isDone).count() == 15, "the 15 others were refused while the probe was out");
      assertThat(backends.calls("m") - failedCalls).as("exactly one probe while half open").isEqualTo(1);
      release.countDown();
      int served = 0;
      int refused = 0;
      for (Future<GenerateResponse> f : round) {
        try {
          assertThat(f.get(10, TimeUnit.SECONDS).text()).isEqualTo("probe");
          served++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(CircuitOpenException.class);
          refused++;
        }
      }
      assertThat(served).isEqualTo(1);
      assertThat(refused).isEqualTo(15);
      assertThat(manager.model("m").orElseThrow().circuit()).isEqualTo(GuardStats.CircuitState.CLOSED);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void should_start_a_model_registered_again_under_an_old_name_with_a_closed_circuit() {
    backends.on("m", (call, request, sink) -> {
      throw unavailable("m");
    });
    BreakerPolicy breaker = BreakerPolicy.builder().window(2).minimumCalls(2).build();
    ModelSpec spec = model("m").retry(RetryPolicy.none()).circuitBreaker(breaker).build();
    manager = builder().model(spec).build();
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "hi"))).isInstanceOf(BackendException.class);
    }
    assertThat(manager.model("m").orElseThrow().circuit()).isEqualTo(GuardStats.CircuitState.OPEN);

    manager.unregister("m");
    manager.register(spec);

    assertThat(manager.model("m").orElseThrow().circuit()).isEqualTo(GuardStats.CircuitState.CLOSED);
  }

  // ---- concurrency limits ----------------------------------------------------------------------

  @Test
  void should_queue_beyond_max_concurrency_and_turn_away_past_max_queue() throws Exception {
    GateModelFactory gate = new GateModelFactory(2);
    manager = MultiModelManager.builder().environment(n -> null).factory(gate)
        .model(ModelSpec.builder("g", "gate").maxConcurrency(2).maxQueue(1).build()).build();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<GenerateResponse>> running = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        running.add(pool.submit(() -> manager.generate(GenerateRequest.of("g", "hi"))));
      }
      assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();
      Future<GenerateResponse> queued = pool.submit(() -> manager.generate(GenerateRequest.of("g", "hi")));
      awaitQueued(1);

      assertThatThrownBy(() -> manager.generate(GenerateRequest.of("g", "hi")))
          .isInstanceOf(OverloadedException.class)
          .hasMessageContaining("max_concurrency of 2").hasMessageContaining("queue of 1 is full");
      GuardStats busy = manager.model("g").orElseThrow().guardStats();
      assertThat(busy.active()).isEqualTo(2);
      assertThat(busy.maxConcurrency()).hasValue(2);
      assertThat(busy.overloaded()).isEqualTo(1);

      gate.gate.countDown();
      for (Future<GenerateResponse> f : running) {
        assertThat(f.get(10, TimeUnit.SECONDS).text()).isEqualTo("ab");
      }
      assertThat(queued.get(10, TimeUnit.SECONDS).text()).isEqualTo("ab");
      assertThat(manager.model("g").orElseThrow().guardStats().active()).isZero();
    } finally {
      gate.gate.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void should_give_up_a_queued_request_at_its_queue_timeout_or_its_deadline() throws Exception {
    GateModelFactory gate = new GateModelFactory(1);
    manager = MultiModelManager.builder().environment(n -> null).factory(gate)
        .model(ModelSpec.builder("g", "gate").maxConcurrency(1).queueTimeout(Duration.ofMillis(100)).build()).build();
    CompletableFuture<GenerateResponse> holder = manager.generateAsync(GenerateRequest.of("g", "hi"));
    try {
      assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();

      assertThatThrownBy(() -> manager.generate(GenerateRequest.of("g", "hi")))
          .isInstanceOf(OverloadedException.class).hasMessageContaining("queue_timeout of 100 ms");
      assertThatThrownBy(() -> manager.generate(
              GenerateRequest.builder().model("g").prompt("hi").timeout(Duration.ofMillis(30)).build()))
          .isInstanceOf(DeadlineExceededException.class).hasMessageContaining("while queued");
    } finally {
      gate.gate.countDown();
    }
    assertThat(holder.get(10, TimeUnit.SECONDS).text()).isEqualTo("ab");
  }

  @Test
  void should_never_run_more_than_max_concurrency_calls_under_16_threads() throws Exception {
    backends.on("m", (call, request, sink) -> {
      Thread.onSpinWait();
      return ok("x" + call);
    });
    manager = builder().model(model("m").maxConcurrency(3).maxQueue(16).build()).build();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < 200; i++) {
            manager.generate(GenerateRequest.of("m", "hi"));
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(backends.calls("m")).isEqualTo(3_200);
    assertThat(backends.mostAtOnce("m")).isBetween(1, 3);
    GuardStats after = manager.model("m").orElseThrow().guardStats();
    assertThat(after.active()).isZero();
    assertThat(after.queued()).isZero();
  }

  @Test
  void should_fail_a_queued_request_and_a_waiting_retry_promptly_on_close() throws Exception {
    GateModelFactory gate = new GateModelFactory(1);
    backends.on("slow", (call, request, sink) -> {
      throw rateLimited("slow", Duration.ofSeconds(20));
    });
    manager = MultiModelManager.builder().environment(n -> null).factory(gate).factory(backends)
        .model(ModelSpec.builder("g", "gate").maxConcurrency(1).build())
        .model(model("slow").retry(QUICK.toBuilder().maxBackoff(Duration.ofSeconds(60)).build()).build()).build();
    CompletableFuture<GenerateResponse> holder = manager.generateAsync(GenerateRequest.of("g", "hi"));
    assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<GenerateResponse> queued = manager.generateAsync(GenerateRequest.of("g", "hi"));
    awaitQueued(1);
    CompletableFuture<GenerateResponse> retrying = manager.generateAsync(GenerateRequest.of("slow", "hi"));
    while (backends.calls("slow") == 0) {
      Thread.onSpinWait();
    }

    CompletableFuture<Void> closing = CompletableFuture.runAsync(manager::close);
    assertThat(catchFailure(queued)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThat(catchFailure(retrying)).hasMessageContaining("closed");
    gate.gate.countDown(); // the call in flight drains; then close returns
    closing.get(10, TimeUnit.SECONDS);
    assertThat(holder.get(10, TimeUnit.SECONDS).text()).isEqualTo("ab");
  }

  // ---- streams --------------------------------------------------------------------------------

  @Test
  void should_retry_a_stream_that_failed_before_its_first_piece() throws Exception {
    backends.on("m", (call, request, sink) -> {
      if (call == 1) {
        throw unavailable("m");
      }
      sink.accept("he");
      sink.accept("llo");
      return ok("hello");
    });
    manager = builder().model(model("m").build()).build();
    RecordingListener listener = new RecordingListener();

    GenerateResponse r = manager.stream(GenerateRequest.of("m", "hi"), listener).completion().get(10, TimeUnit.SECONDS);

    assertThat(r.text()).isEqualTo("hello");
    assertThat(listener.text()).isEqualTo("hello");
    assertThat(backends.calls("m")).isEqualTo(2);
    assertThat(r.attempts()).extracting(Attempt::outcome).containsExactly(Attempt.Outcome.FAILED, Attempt.Outcome.SUCCEEDED);
  }

  @Test
  void should_end_a_stream_cut_after_its_first_piece_with_a_typed_failure_carrying_the_text() throws Exception {
    backends.on("m", (call, request, sink) -> {
      sink.accept("Once upon ");
      throw unavailable("m");
    });
    backends.on("spare", (call, request, sink) -> {
      sink.accept("spliced");
      return ok("spliced");
    });
    manager = builder().model(model("m").build()).model(model("spare").build())
        .route(RouteConfig.builder("chat").target("m").fallbacks(List.of("spare")).build()).build();
    RecordingListener listener = new RecordingListener();

    StreamHandle handle = manager.stream(GenerateRequest.of("chat", "hi"), listener);

    assertThatThrownBy(() -> handle.completion().get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(BackendException.class)
        .cause().satisfies(e -> {
          assertThat(((BackendException) e).partialText()).isEqualTo("Once upon ");
          assertThat(((BackendException) e).isRetryable()).isFalse();
          assertThat(e).hasMessageContaining("broke after 10 characters");
        });
    assertThat(listener.text()).as("never text from a second model").isEqualTo("Once upon ");
    assertThat(listener.completed).isFalse();
    assertThat(backends.calls("m")).isEqualTo(1);
    assertThat(backends.calls("spare")).isZero();
  }

  @Test
  void should_free_the_lease_and_the_slot_at_once_when_a_stream_is_cancelled() throws Exception {
    backends.on("m", (call, request, sink) -> {
      sink.accept("a");
      while (!sink.isCancelled()) {
        Thread.onSpinWait(); // a backend that would stream for ever
      }
      return Completion.of("a", FinishReason.CANCELLED);
    });
    manager = builder().model(model("m").maxConcurrency(1).build()).build();
    RecordingListener listener = new RecordingListener();
    StreamHandle handle = manager.stream(GenerateRequest.of("m", "hi"), listener);
    Await.until(() -> listener.text().equals("a"), "the first piece");
    assertThat(manager.model("m").orElseThrow().guardStats().active()).isEqualTo(1);

    handle.cancel();

    Await.until(() -> manager.model("m").orElseThrow().inFlight() == 0, "the lease was given back");
    Await.until(() -> manager.model("m").orElseThrow().guardStats().active() == 0, "the slot was given back");
    assertThat(handle.completion().get(10, TimeUnit.SECONDS).finishReason()).isEqualTo(FinishReason.CANCELLED);
  }

  @Test
  void should_stop_waiting_for_a_slot_when_a_queued_stream_is_cancelled() throws Exception {
    GateModelFactory gate = new GateModelFactory(1);
    manager = MultiModelManager.builder().environment(n -> null).factory(gate)
        .model(ModelSpec.builder("g", "gate").maxConcurrency(1).build()).build();
    CompletableFuture<GenerateResponse> holder = manager.generateAsync(GenerateRequest.of("g", "hi"));
    try {
      assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();
      StreamHandle queued = manager.stream(GenerateRequest.of("g", "hi"), new RecordingListener());
      awaitQueued(1);

      queued.cancel();

      Await.until(() -> manager.model("g").orElseThrow().guardStats().queued() == 0, "the queued stream left the queue");
      // the queue count drops on the serving thread just before it ends the stream: wait for that
      Await.until(queued::isDone, "the cancelled stream ended while the slot was still taken");
      assertThat(gate.gate.getCount()).as("it never got the slot").isEqualTo(1);
    } finally {
      gate.gate.countDown();
    }
    assertThat(holder.get(10, TimeUnit.SECONDS).text()).isEqualTo("ab");
  }

  /** Collects a stream's pieces. */
  private static final class RecordingListener implements StreamListener {
    private final StringBuffer text = new StringBuffer();
    volatile boolean completed;

    @Override
    public void onToken(String piece) {
      text.append(piece);
    }

    @Override
    public void onComplete(GenerateResponse response) {
      completed = true;
    }

    @Override
    public void onError(ModelMuxException error) {
      // the completion future carries it
    }

    String text() {
      return text.toString();
    }
  }

  private void awaitQueued(int n) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (manager.model("g").orElseThrow().guardStats().queued() < n) {
      if (System.nanoTime() > until) {
        throw new AssertionError("no request queued within 10 s");
      }
      Thread.onSpinWait();
    }
  }

  private static Throwable catchFailure(CompletableFuture<?> f) {
    try {
      f.get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("the request did not end within 5 s of close()", e);
    }
    throw new AssertionError("the request succeeded");
  }
}
