package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.Prices;
import io.modelmux.testing.MutableClock;
import io.modelmux.testing.ScriptedManagerTest;
import io.modelmux.testing.Threads;
import io.modelmux.testing.StandardError;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Cost and spend limits: every priced response carries its cost (from reported usage, else from
 * tokens counted here, marked estimated); totals per model, route and tag, shadow copies apart,
 * savings against a reference; spend limits reserve the worst case so that concurrent requests
 * never pass them, then fall back or fail with the limit, the spend and the reset.
 */
class CostTest extends ScriptedManagerTest {
  /** 2 per million prompt tokens, 10 per million generated tokens. */
  private static final Prices PRICES = new Prices(2, 10);

  private static ModelSpec.Builder priced(String id, Prices prices) {
    return ModelSpec.builder(id, "scripted").prices(prices).retry(RetryPolicy.builder().maxAttempts(1).build())
        .circuitBreaker(BreakerPolicy.disabled());
  }

  /** Answers "abcdefgh" reporting {@code in} prompt and {@code out} generated tokens (no usage when in < 0). */
  private void answers(String id, long in, long out) {
    backends.on(id, (call, request, sink) -> {
      if (sink != null) {
        sink.accept("abcd");
        sink.accept("efgh");
      }
      return Completion.builder().text("abcdefgh").finishReason(FinishReason.STOP)
          .usage(in < 0 ? null : new Usage(in, out)).build();
    });
  }

  @Test
  void should_give_every_response_its_cost_and_stream_and_whole_alike() {
    answers("m", 1_000, 500);
    manager = builder().model(priced("m", PRICES).build()).build();

    GenerateResponse whole = manager.generate(GenerateRequest.of("m", "hi"));
    GenerateResponse streamed = manager.stream(GenerateRequest.of("m", "hi"), new StreamListener() {
      @Override
      public void onToken(String piece) {}

      @Override
      public void onComplete(GenerateResponse response) {}

      @Override
      public void onError(ModelMuxException error) {}
    }).completion().join();

    Cost expected = new Cost((1_000 * 2 + 500 * 10) / 1e6, 1_000, 500, false);
    assertThat(whole.cost()).contains(expected);
    assertThat(streamed.cost()).contains(expected);
    assertThat(whole.toString()).contains("cost=0.007000");
    assertThat(manager.model("m").orElseThrow().servingStats().cost()).isCloseTo(0.014, within(1e-12));
    assertThat(manager.metrics().cost().total()).isCloseTo(0.014, within(1e-12));
    assertThat(manager.metrics().cost().byModel()).containsEntry("m@latest", 0.014);
  }

  @Test
  void should_count_tokens_and_mark_the_cost_estimated_when_the_backend_reports_no_usage() {
    answers("local", -1, -1);
    answers("remote", -1, -1);
    backends.context("local", 4_096); // the model's tokenizer counts a character a token
    manager = builder().model(priced("local", PRICES).build()).model(priced("remote", PRICES).build()).build();

    Cost local = manager.generate(GenerateRequest.of("local", "twelve chars")).cost().orElseThrow();
    Cost remote = manager.generate(GenerateRequest.of("remote", "twelve chars")).cost().orElseThrow();

    assertThat(local.estimated()).isTrue();
    assertThat(local.inputTokens()).as("the model's own count of the prompt").isEqualTo(12);
    assertThat(remote.estimated()).isTrue();
    assertThat(remote.inputTokens()).as("four characters a token").isEqualTo(3);
    assertThat(remote.outputTokens()).isEqualTo(2);
    assertThat(remote.amount()).isCloseTo((3 * 2 + 2 * 10) / 1e6, within(1e-15));
    assertThat(manager.metrics().cost().estimated()).isCloseTo(manager.metrics().cost().total(), within(1e-15));
  }

  @Test
  void should_give_no_cost_without_a_price() {
    answers("free", 10, 10);
    manager = builder().model(ModelSpec.builder("free", "scripted").build()).build();

    assertThat(manager.generate(GenerateRequest.of("free", "hi")).cost()).isEmpty();
    assertThat(manager.metrics().cost().total()).isZero();
  }

  @Test
  void should_total_by_route_and_tag_count_shadows_apart_and_report_the_saving() {
    answers("cheap", 1_000_000, 1_000_000);
    answers("shadow", 1_000_000, 1_000_000);
    manager = builder()
        .model(priced("cheap", new Prices(1, 2)).build())
        .model(priced("shadow", new Prices(1, 2)).build())
        .model(priced("premium", new Prices(10, 30)).build())
        .costReference("premium")
        .route(RouteConfig.builder("chat").target("cheap").shadow(new RouteConfig.Shadow("shadow", 100, 4)).build())
        .build();

    manager.generate(GenerateRequest.builder().model("chat").prompt("a").tag("team-a").build());
    manager.generate(GenerateRequest.builder().model("chat").prompt("b").tag("team-a").tag("beta").build());
    manager.generate(GenerateRequest.builder().model("cheap").prompt("c").tag("team-b").build());

    io.modelmux.testing.Await.until(() -> manager.metrics().cost().shadow() >= 6, "the two shadow copies costed");
    CostReport cost = manager.metrics().cost();
    assertThat(cost.total()).isEqualTo(9);
    assertThat(cost.byRoute()).containsEntry("chat", 6.0);
    assertThat(cost.byTag()).containsEntry("team-a", 6.0).containsEntry("beta", 3.0).containsEntry("team-b", 3.0);
    assertThat(cost.shadow()).as("shadow copies apart, in no other total").isEqualTo(6);
    assertThat(cost.byModel()).containsEntry("cheap@latest", 9.0).containsEntry("shadow@latest", 0.0);
    assertThat(manager.model("shadow").orElseThrow().servingStats().shadowCost()).isEqualTo(6);
    assertThat(cost.referenceModel()).contains("premium");
    assertThat(cost.referenceCost()).isEqualTo(120);
    assertThat(cost.saving()).isEqualTo(111);
  }

  @Test
  void should_cost_nothing_from_the_cache_and_count_what_it_saved() {
    answers("m", 1_000_000, 0);
    manager = builder().cache(new CacheConfig(10, Duration.ofMinutes(1))).model(priced("m", PRICES).build()).build();

    manager.generate(GenerateRequest.builder().model("m").prompt("hi").temperature(0).build());
    GenerateResponse cached = manager.generate(GenerateRequest.builder().model("m").prompt("hi").temperature(0).build());

    assertThat(cached.cached()).isTrue();
    assertThat(cached.cost().orElseThrow().amount()).isZero();
    assertThat(manager.metrics().cost().total()).isEqualTo(2);
    assertThat(manager.metrics().cost().cacheSaved()).isEqualTo(2);
  }

  // ---- spend limits ----------------------------------------------------------------------------

  @Test
  void should_never_let_16_concurrent_requests_push_spend_past_the_limit() throws Exception {
    // each answer costs 6 of a worst case near 11 (10 tokens at 1 each, and the prompt): the limit of 100
    // holds 16 or 17 answers, and the reservations must keep the settled spend under it whatever the interleaving
    AtomicLong spent = new AtomicLong();
    backends.on("m", (call, request, sink) -> {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Completion.builder().text("x").finishReason(FinishReason.STOP).usage(new Usage(0, 6)).build();
    });
    Prices onePerToken = new Prices(1_000, 1_000_000);
    manager = builder().model(priced("m", onePerToken).spendLimit(SpendLimit.per(100, Duration.ofDays(1))).build()).build();
    List<SpendLimitExceededException> refused = new CopyOnWriteArrayList<>();
    AtomicInteger served = new AtomicInteger();

    Threads.concurrently(16, t -> () -> {
      for (int i = 0; i < 10; i++) {
        try {
          GenerateResponse r = manager.generate(GenerateRequest.builder().model("m").prompt("hi").maxTokens(10).build());
          spent.addAndGet(Math.round(r.cost().orElseThrow().amount() * 1e6));
          served.incrementAndGet();
        } catch (SpendLimitExceededException e) {
          refused.add(e);
        }
      }
      return null;
    });

    assertThat(spent.get()).as("settled spend, in millionths").isLessThanOrEqualTo(100_000_000);
    assertThat(served.get()).isGreaterThanOrEqualTo(9); // at least limit / worst case
    assertThat(refused).hasSize(160 - served.get());
    SpendLimitExceededException e = refused.get(0);
    assertThat(e.limit()).isEqualTo(100);
    assertThat(e.spent() + e.needed()).isGreaterThan(100);
    assertThat(e.scope()).isEqualTo("model 'm@latest'");
    assertThat(e.isRetryable()).isFalse();
    assertThat(e.getMessage()).contains("spend limit of 100.0000 per day").contains("resets at");
    assertThat(e.resetsAt()).isAfter(Instant.now());
    assertThat(e.retryAfter()).isPresent();
    assertThat(manager.model("m").orElseThrow().servingStats().errors()).containsKey("SpendLimitExceededException");
  }

  @Test
  void should_warn_of_a_route_spend_limit_over_a_model_without_a_price() {
    String log = StandardError.capture(() -> {
      manager = builder()
          .model(priced("m", PRICES).build())
          .model(ModelSpec.builder("free", "scripted").build())
          .route(RouteConfig.builder("chat").split("m", 1).split("free", 1).fallbacks(List.of("free"))
              .spendLimit(SpendLimit.per(25, Duration.ofDays(1))).build())
          .build();
    });
    assertThat(log).contains("route 'chat' has a spend_limit, but its model free@latest has no price");
    assertThat(log).doesNotContain("its model m@latest");
    assertThat(log.split("has no price", -1)).hasSize(2); // once, though named twice
  }

  @Test
  void should_send_a_request_over_the_limit_to_the_routes_fallback() {
    answers("m", 0, 10);
    answers("spare", 0, 10);
    manager = builder()
        .model(priced("m", new Prices(0, 1_000_000)).spendLimit(SpendLimit.per(25, Duration.ofHours(1))).build())
        .model(priced("spare", new Prices(0, 1)).build())
        .route(RouteConfig.builder("chat").target("m").fallbacks(List.of("spare")).build()).build();

    GenerateRequest request = GenerateRequest.builder().model("chat").prompt("").maxTokens(10).build();
    assertThat(manager.generate(request).model().id()).isEqualTo("m"); // worst case 10 + prompt: fits
    assertThat(manager.generate(request).model().id()).isEqualTo("m");
    GenerateResponse third = manager.generate(request);

    assertThat(third.model().id()).isEqualTo("spare");
    assertThat(third.attempts()).extracting(Attempt::outcome).containsExactly(Attempt.Outcome.OVER_BUDGET, Attempt.Outcome.SUCCEEDED);
    assertThat(third.attempts().get(0).errorType()).contains("SpendLimitExceededException");
  }

  @Test
  void should_start_each_period_afresh_and_say_when_it_resets() {
    answers("m", 0, 10);
    MutableClock clock = new MutableClock(Instant.parse("2026-11-29T10:20:00Z"));
    manager = builder().clock(clock)
        .model(priced("m", new Prices(0, 1_000_000)).spendLimit(SpendLimit.per(10, Duration.ofHours(1))).build()).build();
    GenerateRequest request = GenerateRequest.builder().model("m").prompt("").maxTokens(10).build();

    manager.generate(request);
    SpendLimitExceededException e = (SpendLimitExceededException) org.assertj.core.api.Assertions.catchThrowable(
        () -> manager.generate(request));

    assertThat(e.resetsAt()).isEqualTo(Instant.parse("2026-11-29T11:00:00Z"));
    assertThat(e.retryAfter()).contains(Duration.ofMinutes(40));
    assertThat(e.spent()).isEqualTo(10);
    clock.advance(Duration.ofMinutes(40));
    assertThat(manager.generate(request).cost().orElseThrow().amount()).isEqualTo(10);
  }

  @Test
  void should_hold_a_request_without_max_tokens_to_the_reserved_answer_on_a_limited_model() {
    AtomicInteger maxTokens = new AtomicInteger();
    backends.on("m", (call, request, sink) -> {
      maxTokens.set(request.options().maxTokens().orElse(-1));
      return Completion.builder().text("x").finishReason(FinishReason.STOP).usage(new Usage(1, 1)).build();
    });
    manager = builder().model(priced("m", PRICES).spendLimit(SpendLimit.perMonth(1_000)).build()).build();

    manager.generate(GenerateRequest.of("m", "hi"));

    assertThat(maxTokens.get()).isEqualTo(4096);
  }

  @Test
  void should_limit_a_route_across_its_models() {
    answers("a", 0, 10);
    answers("b", 0, 10);
    manager = builder()
        .model(priced("a", new Prices(0, 1_000_000)).build())
        .model(priced("b", new Prices(0, 1_000_000)).build())
        .route(RouteConfig.builder("chat").split("a", 1).split("b", 1).spendLimit(SpendLimit.per(25, Duration.ofDays(1))).build())
        .build();
    GenerateRequest request = GenerateRequest.builder().model("chat").prompt("").maxTokens(10).build();

    manager.generate(request);
    manager.generate(request);

    assertThatThrownBy(() -> manager.generate(request)).isInstanceOf(SpendLimitExceededException.class)
        .hasMessageContaining("route 'chat' is over its spend limit of 25.0000 per day");
    assertThat(manager.generate(GenerateRequest.builder().model("a").prompt("").maxTokens(10).build()).model().id())
        .as("the route's limit binds requests through the route only").isEqualTo("a");
  }

  @Test
  void should_refuse_a_spend_limit_without_prices_and_a_reference_without_one() {
    assertThatThrownBy(() -> ModelSpec.builder("m", "scripted").spendLimit(SpendLimit.perWeek(5)).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without prices");
    assertThatThrownBy(() -> builder().model(ModelSpec.builder("m", "scripted").build()).costReference("m").build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("which has no price");
    assertThatThrownBy(() -> builder().model(ModelSpec.builder("m", "scripted").build()).costReference("gpt").build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("'gpt', which is not a model; name one of m@latest");
  }

  @Test
  void should_read_spend_limits_and_the_reference_from_models_yaml() {
    ModelMuxConfig config = ModelMuxConfig.parse(
        "models:\n"
            + "  - {id: a, type: scripted, price: {input: 1, output: 2}, spend_limit: {amount: 5, period: day}}\n"
            + "  - {id: b, type: scripted, price: {input: 3, output: 4}, spend_limit: {amount: 7.5, period: 12h}}\n"
            + "routes:\n  - {name: r, target: a, spend_limit: {amount: 50, period: month}}\n"
            + "cost: {reference: b}\n",
        "models.yaml", n -> null);

    assertThat(config.models().get(0).spendLimit()).contains(SpendLimit.per(5, Duration.ofDays(1)));
    assertThat(config.models().get(1).spendLimit()).contains(SpendLimit.per(7.5, Duration.ofHours(12)));
    assertThat(config.routes().get(0).spendLimit()).contains(SpendLimit.perMonth(50));
    assertThat(config.costReference()).contains("b");
    assertThatThrownBy(() -> ModelMuxConfig.parse(
        "models:\n  - {id: a, type: scripted, spend_limit: {amount: 5, period: day}}\n", "models.yaml", n -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessage("models.yaml:2:42: models[0].spend_limit: needs the model's price to count spend;"
            + " add price: {input: ..., output: ...}");
    assertThatThrownBy(() -> ModelMuxConfig.parse(
        "models:\n  - {id: a, type: scripted, price: {input: 1, output: 1}, spend_limit: {amount: 5, period: fortnight}}\n",
        "models.yaml", n -> null))
        .isInstanceOf(ConfigException.class).hasMessage("models.yaml:2:92: models[0].spend_limit.period: must be hour, day,"
            + " week, month or a duration of at least 1s; found 'fortnight'");
    assertThatThrownBy(() -> ModelMuxConfig.parse(
        "models:\n  - {id: a, type: scripted}\ncost: {reference: nope}\n", "models.yaml", n -> null))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("models.yaml:3:19: cost.reference:");
  }

  @Test
  void should_align_periods_to_utc_calendar() {
    Instant t = Instant.parse("2026-11-29T10:20:30Z"); // a Sunday
    assertThat(SpendLimit.per(1, Duration.ofDays(1)).periodStart(t)).isEqualTo(Instant.parse("2026-11-29T00:00:00Z"));
    assertThat(SpendLimit.perWeek(1).periodStart(t)).isEqualTo(Instant.parse("2026-11-23T00:00:00Z"));
    assertThat(SpendLimit.perWeek(1).periodEnd(t)).isEqualTo(Instant.parse("2026-11-30T00:00:00Z"));
    assertThat(SpendLimit.perMonth(1).periodStart(t)).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
    assertThat(SpendLimit.perMonth(1).periodEnd(t)).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
    assertThat(SpendLimit.per(1, Duration.ofHours(1)).period()).isEqualTo("hour");
    assertThat(SpendLimit.per(1, Duration.ofHours(12)).period()).isEqualTo("12h");
  }

  @Test
  void should_bound_request_tags() {
    GenerateRequest.Builder b = GenerateRequest.builder().prompt("x");
    assertThatThrownBy(() -> b.tag(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.tag("x".repeat(65))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.tag("a\nb")).isInstanceOf(IllegalArgumentException.class);
    for (int i = 0; i < 16; i++) {
      b.tag("t" + i);
    }
    assertThatThrownBy(() -> b.tag("t16")).isInstanceOf(IllegalArgumentException.class);
    assertThat(b.build().tags()).hasSize(16);
  }
}
