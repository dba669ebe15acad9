package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.Prices;
import io.modelmux.testing.Await;
import io.modelmux.testing.ScriptedManagerTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Comparative benchmarking: every healthy model answers the same prompts off the callers' path,
 * one at a time; rounds are appended as JSON Lines with the fastest, the cheapest and a
 * recommendation; open circuits and unloaded local models are skipped; rounds run on demand and
 * every N requests.
 */
class BenchmarkTest extends ScriptedManagerTest {
  private static final List<String> PROMPTS = List.of("one", "two", "three");
  private final Set<String> threads = ConcurrentHashMap.newKeySet();

  @TempDir Path dir;

  /** Answers after {@code millis} with 4 output tokens, streaming two pieces. */
  private void answersAfter(String id, long millis) {
    backends.on(id, (call, request, sink) -> {
      threads.add(Thread.currentThread().getName());
      sleep(millis / 2);
      if (sink != null) {
        sink.accept("ab");
      }
      sleep(millis / 2);
      if (sink != null) {
        sink.accept("cd");
      }
      return Completion.builder().text("abcd").finishReason(FinishReason.STOP).usage(new Usage(3, 4)).build();
    });
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ModelSpec.Builder model(String id) {
    return ModelSpec.builder(id, "scripted").retry(RetryPolicy.builder().maxAttempts(1).build());
  }

  @Test
  void should_compare_every_model_and_recommend_the_cheapest_that_is_fast_enough() throws Exception {
    answersAfter("fast", 10);
    answersAfter("cheap", 14);
    answersAfter("slow", 60);
    Path out = dir.resolve("bench.jsonl");
    manager = builder()
        .model(model("fast").prices(new Prices(10, 10)).build())
        .model(model("cheap").prices(new Prices(1, 1)).build())
        .model(model("slow").prices(new Prices(0.5, 0.5)).build())
        .benchmark(new BenchmarkConfig(0, PROMPTS, out, 16, false))
        .build();

    BenchmarkRound round = manager.benchmark(PROMPTS).get(30, TimeUnit.SECONDS);

    assertThat(round.round()).isEqualTo(1);
    assertThat(round.results()).extracting(r -> r.model().id()).containsExactly("fast", "cheap", "slow");
    BenchmarkResult fast = round.result("fast@latest").orElseThrow();
    assertThat(fast.prompts()).isEqualTo(3);
    assertThat(fast.errors()).isZero();
    assertThat(fast.p50()).isGreaterThanOrEqualTo(Duration.ofMillis(10));
    assertThat(fast.timeToFirstToken()).isNotNull();
    assertThat(fast.timeToFirstToken()).isLessThan(fast.average());
    assertThat(fast.tokensPerSecond()).isPositive();
    assertThat(fast.cost()).isCloseTo(3 * (3 * 10 + 4 * 10) / 1e6, org.assertj.core.api.Assertions.within(1e-15));
    assertThat(round.fastest()).isEqualTo(new ModelRef("fast", "latest"));
    assertThat(round.cheapest()).isEqualTo(new ModelRef("slow", "latest"));
    assertThat(round.recommended()).as("slow is the cheapest but more than twice as slow").isEqualTo(new ModelRef("cheap", "latest"));
    assertThat(round.recommendation()).startsWith("use cheap@latest: the cheapest");
    assertThat(manager.lastBenchmark()).contains(round);

    List<String> lines = Files.readAllLines(out);
    assertThat(lines).hasSize(4);
    ObjectMapper json = new ObjectMapper();
    JsonNode first = json.readTree(lines.get(0));
    assertThat(first.path("kind").asText()).isEqualTo("model");
    assertThat(first.path("model").asText()).isEqualTo("fast");
    assertThat(first.path("version").asText()).isEqualTo("latest");
    assertThat(first.path("prompts").asInt()).isEqualTo(3);
    for (String field : List.of("timestamp", "average_ms", "p50_ms", "p99_ms", "ttft_ms", "tokens_per_second", "errors", "cost")) {
      assertThat(first.has(field)).as(field).isTrue();
    }
    JsonNode summary = json.readTree(lines.get(3));
    assertThat(summary.path("kind").asText()).isEqualTo("summary");
    assertThat(summary.path("fastest").asText()).isEqualTo("fast@latest");
    assertThat(summary.path("cheapest").asText()).isEqualTo("slow@latest");
    assertThat(summary.path("recommended").asText()).isEqualTo("cheap@latest");
    assertThat(summary.path("recommendation").asText()).isEqualTo(round.recommendation());

    manager.benchmark(PROMPTS).get(30, TimeUnit.SECONDS);
    assertThat(Files.readAllLines(out)).as("rounds are appended").hasSize(8);
  }

  @Test
  void should_run_off_the_callers_path_and_count_in_no_model_figure() throws Exception {
    answersAfter("m", 1);
    manager = builder().cache(new CacheConfig(100, Duration.ofMinutes(1))).model(model("m").build()).build();

    manager.benchmark(PROMPTS).get(30, TimeUnit.SECONDS);
    manager.benchmark(PROMPTS).get(30, TimeUnit.SECONDS);

    assertThat(threads).allSatisfy(t -> assertThat(t).endsWith("-benchmark"));
    ModelStatus m = manager.model("m").orElseThrow();
    assertThat(m.requests()).isZero();
    assertThat(m.servingStats().latency().count()).isZero();
    assertThat(backends.calls("m")).as("never answered from the cache").isEqualTo(6);
    assertThat(manager.metrics().cache().orElseThrow().hits() + manager.metrics().cache().orElseThrow().misses()).isZero();
  }

  @Test
  void should_skip_open_circuits_and_unloaded_local_models_unless_asked() throws Exception {
    answersAfter("remote", 1);
    answersAfter("local", 1);
    backends.on("broken", (call, request, sink) -> {
      throw new BackendException("503", "broken", true, 503, null, null, null);
    });
    backends.inProcess("local");
    manager = builder()
        .model(model("remote").build())
        .model(model("local").build())
        .model(model("broken").circuitBreaker(BreakerPolicy.builder().minimumCalls(1).window(1).build()).build())
        .build();
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("broken", "x"))).isInstanceOf(BackendException.class);
    assertThat(manager.model("broken").orElseThrow().circuit()).isEqualTo(GuardStats.CircuitState.OPEN);

    BenchmarkRound round = manager.benchmark(PROMPTS).get(30, TimeUnit.SECONDS);

    assertThat(round.results()).extracting(r -> r.model().id()).containsExactly("remote");
    assertThat(round.skipped()).containsOnlyKeys("local@latest", "broken@latest");
    assertThat(round.skipped().get("broken@latest")).startsWith("its circuit is open until");
    assertThat(round.skipped().get("local@latest")).contains("not loaded");
    assertThat(manager.model("local").orElseThrow().tier()).as("not loaded by the round").isEqualTo(Tier.COLD);

    BenchmarkRound loading = manager.benchmark(BenchmarkConfig.of(PROMPTS).withLoadEvicted(true)).get(30, TimeUnit.SECONDS);
    assertThat(loading.results()).extracting(r -> r.model().id()).containsExactly("remote", "local");
  }

  @Test
  void should_load_a_model_before_measuring_it_so_that_no_prompt_counts_its_load() throws Exception {
    manager = builder().factory(new io.modelmux.testing.EchoModelFactory())
        .model(ModelSpec.builder("slow-load", "echo").option("load_delay", "600ms").build()).build();

    BenchmarkRound round = manager.benchmark(PROMPTS).get(30, TimeUnit.SECONDS);

    BenchmarkResult r = round.result("slow-load@latest").orElseThrow();
    assertThat(r.answered()).isEqualTo(3);
    assertThat(r.p99()).as("the 600 ms load is not in any prompt's time").isLessThan(Duration.ofMillis(300));
  }

  @Test
  void should_keep_a_rounds_spend_within_the_models_limit() throws Exception {
    answersAfter("m", 1); // 4 output tokens an answer: 4 at one per token
    manager = builder()
        .model(model("m").prices(new Prices(0, 1_000_000)).spendLimit(SpendLimit.per(10, Duration.ofDays(1))).build()).build();

    BenchmarkRound round = manager.benchmark(new BenchmarkConfig(0, PROMPTS, null, 8, false)).get(30, TimeUnit.SECONDS);

    BenchmarkResult m = round.result("m@latest").orElseThrow();
    assertThat(m.answered()).as("8 reserved, 4 spent; then 4 + 8 would pass 10").isEqualTo(1);
    assertThat(m.errorTypes()).containsEntry("SpendLimitExceededException", 2);
    assertThat(m.cost()).isEqualTo(4.0);
    assertThatThrownBy(() -> manager.generate(GenerateRequest.builder().model("m").prompt("x").maxTokens(7).build()))
        .as("the round's spend counts against the limit").isInstanceOf(SpendLimitExceededException.class);
  }

  @Test
  void should_count_errors_and_never_call_a_failing_model_the_fastest() throws Exception {
    answersAfter("slow", 30);
    backends.on("flaky", (call, request, sink) -> {
      if (call == 2) {
        throw new BackendException("500", "flaky", true, 500, null, null, null);
      }
      return Completion.of("x", FinishReason.STOP);
    });
    manager = builder().model(model("slow").build()).model(model("flaky").build()).build();

    BenchmarkRound round = manager.benchmark(PROMPTS).get(30, TimeUnit.SECONDS);

    BenchmarkResult flaky = round.result("flaky@latest").orElseThrow();
    assertThat(flaky.errors()).isEqualTo(1);
    assertThat(flaky.errorTypes()).containsEntry("BackendException", 1);
    assertThat(flaky.answered()).isEqualTo(2);
    assertThat(round.fastest()).isEqualTo(new ModelRef("slow", "latest"));
    assertThat(round.recommendation()).contains("no model has a price");
  }

  @Test
  void should_run_a_round_every_n_requests_in_the_background() throws Exception {
    answersAfter("m", 1);
    Path out = dir.resolve("periodic.jsonl");
    manager = builder().model(model("m").build()).benchmark(new BenchmarkConfig(5, List.of("probe"), out, 8, false)).build();

    for (int i = 0; i < 4; i++) {
      manager.generate(GenerateRequest.of("m", "caller"));
    }
    assertThat(manager.lastBenchmark()).isEmpty();
    manager.generate(GenerateRequest.of("m", "caller"));

    Await.until(() -> manager.lastBenchmark().isPresent(), "a round after the fifth request");
    assertThat(manager.lastBenchmark().orElseThrow().results()).hasSize(1);
    Await.until(() -> Files.exists(out), "the round written");
    assertThat(threads).contains(Thread.currentThread().getName()).anyMatch(t -> t.endsWith("-benchmark"));
  }

  @Test
  void should_end_a_round_when_the_manager_closes_and_refuse_after() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    backends.on("stuck", (call, request, sink) -> {
      entered.countDown();
      sleep(60_000); // interrupted by close()
      return Completion.of("late", FinishReason.STOP);
    });
    manager = builder().closeTimeout(Duration.ofSeconds(5)).model(model("stuck").build()).build();
    var round = manager.benchmark(PROMPTS);
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

    long start = System.nanoTime();
    manager.close();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
    assertThat(round).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(ExecutionException.class)
        .havingCause().withMessageContaining("the MultiModelManager closed during it");
    var after = manager.benchmark(PROMPTS);
    assertThatThrownBy(after::get).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> manager.lastBenchmark()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void should_read_the_benchmark_section_with_files_beside_models_yaml() throws Exception {
    Path yaml = dir.resolve("models.yaml");
    Files.writeString(dir.resolve("prompts.txt"), "first prompt\n\n  second prompt  \n");
    Files.writeString(yaml, "models:\n  - {id: m, type: scripted}\n"
        + "benchmark: {every: 500, prompts_file: prompts.txt, out: results/bench.jsonl, max_tokens: 12, load_evicted: true}\n");

    BenchmarkConfig b = ModelMuxConfig.load(yaml, n -> null).benchmark().orElseThrow();

    assertThat(b.every()).isEqualTo(500);
    assertThat(b.prompts()).containsExactly("first prompt", "second prompt");
    assertThat(b.out()).isEqualTo(dir.resolve("results/bench.jsonl"));
    assertThat(b.maxTokens()).isEqualTo(12);
    assertThat(b.loadEvicted()).isTrue();
    assertThat(ModelMuxConfig.parse("models:\n  - {id: m, type: scripted}\nbenchmark: {every: 10}\n", "x.yaml", n -> null)
        .benchmark().orElseThrow().prompts()).isEqualTo(BenchmarkConfig.DEFAULT_PROMPTS);
    assertThatThrownBy(() -> ModelMuxConfig.parse(
        "models:\n  - {id: m, type: scripted}\nbenchmark: {prompts: [a], prompts_file: p.txt}\n", "x.yaml", n -> null))
        .isInstanceOf(ConfigException.class).hasMessage("x.yaml:3:27: benchmark.prompts_file: give prompts or prompts_file, not both");
    assertThatThrownBy(() -> ModelMuxConfig.parse(
        "models:\n  - {id: m, type: scripted}\nbenchmark: {prompts_file: nowhere.txt}\n", "x.yaml", n -> null))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("x.yaml:3:27: benchmark.prompts_file: cannot be read");
    assertThatThrownBy(() -> ModelMuxConfig.parse(
        "models:\n  - {id: m, type: scripted}\nbenchmark: {evrey: 10}\n", "x.yaml", n -> null))
        .isInstanceOf(ConfigException.class).hasMessageContaining("did you mean 'every'?");
  }

  private static BenchmarkResult result(String id, long p50Millis, Double costPerAnswer) {
    Duration p50 = Duration.ofMillis(p50Millis);
    return new BenchmarkResult(new ModelRef(id, "1"), "scripted", 2, 0, java.util.Map.of(), p50, p50, p50, null, 10,
        costPerAnswer == null ? null : costPerAnswer * 2);
  }

  @Test
  void should_recommend_by_the_rule_the_fastest_unless_a_cheaper_one_is_within_twice_its_median() {
    BenchmarkRound both = io.modelmux.internal.Benchmarker.summarise(
        1, java.time.Instant.EPOCH, 2, List.of(result("a", 10, 0.001), result("b", 30, 0.002)), java.util.Map.of());
    assertThat(both.recommended()).isEqualTo(new ModelRef("a", "1"));
    assertThat(both.recommendation()).isEqualTo("use a@1: the fastest (median 10.0 ms) and the cheapest (0.001000 an answer)");

    BenchmarkRound tooSlow = io.modelmux.internal.Benchmarker.summarise(
        1, java.time.Instant.EPOCH, 2, List.of(result("a", 10, 0.004), result("b", 30, 0.001)), java.util.Map.of());
    assertThat(tooSlow.recommended()).isEqualTo(new ModelRef("a", "1"));
    assertThat(tooSlow.recommendation()).isEqualTo(
        "use a@1: the fastest (median 10.0 ms); the cheapest, b@1, is 3.0x slower, more than 2.0x");

    BenchmarkRound cheaper = io.modelmux.internal.Benchmarker.summarise(
        1, java.time.Instant.EPOCH, 2, List.of(result("a", 10, 0.004), result("b", 15, 0.001)), java.util.Map.of());
    assertThat(cheaper.recommended()).isEqualTo(new ModelRef("b", "1"));
    assertThat(cheaper.recommendation()).isEqualTo(
        "use b@1: the cheapest (0.001000 an answer, 75% less than the fastest), at 1.5x the median of the fastest (a@1, 10.0 ms)");
  }

  @Test
  void should_say_nothing_can_be_recommended_when_no_model_answered_every_prompt() {
    List<BenchmarkResult> none = new ArrayList<>();
    BenchmarkRound r = io.modelmux.internal.Benchmarker.summarise(1, java.time.Instant.EPOCH, 3, none, java.util.Map.of());
    assertThat(r.recommended()).isNull();
    assertThat(r.recommendation()).isEqualTo("no model could be benchmarked; nothing to recommend");
  }
}
