package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.spi.Accelerator;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.GateModelFactory;
import io.modelmux.testing.MutableClock;
import io.modelmux.testing.StandardError;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The memory scheduler's rules, with echo and gate models of chosen sizes. */
class MemorySchedulerTest {
  static final Hardware HOST_ONLY = new Hardware(10_000, List.of(), false);
  static final Hardware ONE_GPU =
      new Hardware(10_000, List.of(new Accelerator("cuda:0", "test GPU", 1_000, false)), false);

  private MultiModelManager manager;
  private final List<ModelEvent> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
  }

  private static MemoryConfig budget(long bytes) {
    return memory(bytes, null, -1, "lru");
  }

  private static MemoryConfig memory(long bytes, Duration keepAlive, int maxLoaded, String eviction) {
    return new MemoryConfig(MemoryConfig.Amount.ofBytes(bytes), null, keepAlive, maxLoaded, eviction, Map.of());
  }

  private MultiModelManager.Builder builder(MemoryConfig memory, Hardware hardware) {
    return MultiModelManager.builder()
        .environment(n -> null)
        .memory(memory)
        .hardware(hardware)
        .listener(events::add);
  }

  private static ModelSpec.Builder echo(String id, long bytes) {
    return ModelSpec.builder(id, "echo").option("bytes", bytes);
  }

  private String ask(String model) {
    return manager.generate(GenerateRequest.of(model, "hi")).text();
  }

  private ModelStatus status(String model) {
    return manager.model(model).orElseThrow();
  }

  private long used(String pool) {
    return manager.pools().stream().filter(p -> p.name().equals(pool)).findFirst().orElseThrow().usedBytes();
  }

  static void awaitUntil(BooleanSupplier condition) {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within 10 s");
      }
      LockSupport.parkNanos(2_000_000);
    }
  }

  @Test
  void should_admit_a_model_registered_again_under_an_old_ref_at_its_own_size() throws Exception {
    manager = builder(budget(4_000), HOST_ONLY).model(echo("a", 1_000).build()).model(echo("b", 2_000).build()).build();
    ask("a");
    ask("b");
    manager.unregister("a"); // it measured 1,000 bytes; the new "a" is three times as large
    manager.register(echo("a", 3_000).option("load_delay", "300ms").build());
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<String> answer = pool.submit(() -> ask("a"));
      awaitUntil(() -> status("a").state() == ModelState.LOADING);

      assertThat(status("b").state()).as("b must make room before the larger a loads").isNotEqualTo(ModelState.LOADED);
      assertThat(used("host")).isLessThanOrEqualTo(4_000);
      assertThat(answer.get(10, TimeUnit.SECONDS)).startsWith("a@latest:");
      assertThat(status("a").bytes()).isEqualTo(3_000);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void should_not_leave_callers_waiting_when_an_adapter_throws_from_unload() {
    manager =
        builder(budget(1_000), HOST_ONLY)
            .model(echo("liar", 500).option("measured_bytes", 1_500).option("fail_unload", true).build())
            .build();

    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      assertThatThrownBy(() -> ask("liar"))
          .isInstanceOfSatisfying(InsufficientMemoryException.class, e -> assertThat(e.requiredBytes()).isEqualTo(1_500));
      assertThat(status("liar").state()).isNotEqualTo(ModelState.LOADING);
      manager.unregister("liar");
    });
  }

  @Test
  void should_balance_the_books_and_log_without_the_key_when_an_evicted_adapter_throws_from_unload() {
    String key = "sk-echo-unload-secret-0042";
    String log = StandardError.capture(() -> {
      manager =
          builder(budget(1_000), HOST_ONLY)
              .model(echo("a", 600).option("fail_unload", true).option("api_key", key).build())
              .model(echo("b", 600).build())
              .build();
      ask("a");
      ask("b"); // evicts a, whose unload throws
      assertThat(status("a").state()).isEqualTo(ModelState.REGISTERED);
      assertThat(used("host")).isEqualTo(600);
      ask("a"); // and a comes back, evicting b
      assertThat(used("host")).isEqualTo(600);
      assertThat(status("b").state()).isEqualTo(ModelState.REGISTERED);
    });

    assertThat(log).contains("model a@latest failed to unload cleanly").contains("fail_unload: true").doesNotContain(key);
  }

  @Test
  void should_build_pools_from_budget_headroom_and_detected_accelerators() {
    MemoryConfig config =
        new MemoryConfig(MemoryConfig.Amount.ofFraction(0.5), MemoryConfig.Amount.ofFraction(0.1), null, -1, "lru",
            Map.of("cuda:0", MemoryConfig.Amount.ofBytes(800)));
    manager = builder(config, ONE_GPU).build();

    assertThat(manager.pools())
        .extracting(PoolStatus::name, PoolStatus::budgetBytes)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("host", 4_500L), org.assertj.core.groups.Tuple.tuple("cuda:0", 720L));
  }

  @Test
  void should_use_one_unified_pool_where_cpu_and_gpu_share_memory() {
    manager = builder(budget(1_000), new Hardware(10_000, List.of(new Accelerator("mps", "gpu", 10_000, true)), true))
        .model(echo("a", 300).option("pool", "mps").build())
        .build();

    ask("a");

    assertThat(manager.pools()).extracting(PoolStatus::name).containsExactly("unified");
    assertThat(used("unified")).isEqualTo(300);
    assertThat(status("a").pools()).containsOnlyKeys("unified");
  }

  @Test
  void should_warn_that_a_pool_other_than_unified_is_ignored_on_unified_memory() {
    String err = StandardError.capture(() -> {
      manager = builder(new MemoryConfig(MemoryConfig.Amount.ofBytes(1_000), null, null, -1, "lru",
              Map.of("host", MemoryConfig.Amount.ofBytes(500))),
          new Hardware(10_000, List.of(new Accelerator("mps", "gpu", 10_000, true)), true))
          .model(echo("a", 300).build())
          .build();
    });

    assertThat(err)
        .contains("memory.pools.host is ignored: this machine's CPU and GPU share one memory");
    assertThat(manager.pools()).extracting(PoolStatus::name, PoolStatus::budgetBytes)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("unified", 1_000L));
  }

  @Test
  void should_refuse_a_model_larger_than_its_pool_with_the_numbers() {
    manager = builder(budget(1_000), HOST_ONLY).model(echo("small", 300).build()).model(echo("huge", 5_000).build()).build();
    ask("small");

    assertThatThrownBy(() -> ask("huge"))
        .isInstanceOfSatisfying(
            InsufficientMemoryException.class,
            e -> {
              assertThat(e.requiredBytes()).isEqualTo(5_000);
              assertThat(e.budgetBytes()).isEqualTo(1_000);
              assertThat(e.residentBytes()).isEqualTo(300);
            })
        .hasMessageContaining("model 'huge@latest' needs 4.9 KiB in pool host, whose budget is 1000 B (300 B in use by small@latest)")
        .hasMessageContaining("small@latest");
  }

  @Test
  void should_evict_the_least_recently_used_idle_model() {
    manager = builder(budget(1_000), HOST_ONLY)
        .model(echo("a", 400).build()).model(echo("b", 400).build()).model(echo("c", 400).build())
        .build();
    ask("a");
    ask("b");
    ask("a");

    ask("c");

    assertThat(status("b").tier()).isEqualTo(Tier.COLD);
    assertThat(status("b").evictions()).isEqualTo(1);
    assertThat(status("a").tier()).isEqualTo(Tier.ACTIVE);
    assertThat(status("c").tier()).isEqualTo(Tier.ACTIVE);
    assertThat(used("host")).isEqualTo(800);
    assertThat(events).extracting(ModelEvent::type, e -> e.model().id())
        .contains(org.assertj.core.groups.Tuple.tuple(ModelEvent.Type.EVICTED, "b"));
  }

  @Test
  void should_never_evict_a_model_in_use_and_queue_the_other_until_it_is_done() throws Exception {
    GateModelFactory gate = new GateModelFactory(1);
    manager = builder(budget(1_000), HOST_ONLY)
        .factory(gate)
        .model(ModelSpec.builder("busy", "gate").option("bytes", 600).build())
        .model(echo("next", 600).build())
        .build();
    CompletableFuture<GenerateResponse> busy = manager.generateAsync(GenerateRequest.of("busy", "x"));
    assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<GenerateResponse> next = manager.generateAsync(GenerateRequest.of("next", "x"));
    assertThatThrownBy(() -> next.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(java.util.concurrent.TimeoutException.class);
    assertThat(status("busy").tier()).isEqualTo(Tier.ACTIVE);

    gate.gate.countDown();
    assertThat(busy.get(10, TimeUnit.SECONDS).text()).isEqualTo("ab");
    assertThat(next.get(10, TimeUnit.SECONDS).text()).isEqualTo("next@latest: x");
    assertThat(status("busy").tier()).isEqualTo(Tier.COLD);
  }

  @Test
  void should_give_up_waiting_for_memory_at_the_deadline_without_evicting_a_pinned_model() {
    manager = builder(budget(1_000), HOST_ONLY).model(echo("pinned", 600).build()).model(echo("other", 600).build()).build();
    manager.pin("pinned").join();

    GenerateRequest request =
        GenerateRequest.builder().model("other").prompt("x").deadline(Instant.now().plusMillis(200)).build();
    assertThatThrownBy(() -> manager.generate(request))
        .isInstanceOf(DeadlineExceededException.class)
        .hasMessageContaining("other@latest");
    assertThat(status("pinned").tier()).isEqualTo(Tier.ACTIVE);
    assertThat(status("pinned").pinned()).isTrue();

    manager.unpin("pinned");
    assertThat(ask("other")).isEqualTo("other@latest: hi");
    assertThat(status("pinned").tier()).isEqualTo(Tier.COLD);
  }

  @Test
  void should_load_a_cold_model_once_for_many_concurrent_requests() throws Exception {
    manager = builder(budget(1_000), HOST_ONLY).model(echo("slow", 300).option("load_delay", "300ms").build()).build();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        answers.add(pool.submit(() -> ask("slow")));
      }
      for (Future<String> f : answers) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("slow@latest: hi");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(status("slow").loads()).isEqualTo(1);
    assertThat(events).filteredOn(e -> e.type() == ModelEvent.Type.LOADED).hasSize(1);
  }

  @Test
  void should_demote_to_host_memory_and_promote_back_instead_of_reloading() {
    manager = builder(budget(5_000), ONE_GPU)
        .model(echo("a", 600).option("pool", "cuda:0").option("tiered", true).build())
        .model(echo("b", 600).option("pool", "cuda:0").option("tiered", true).build())
        .build();
    ask("a");

    ask("b");
    assertThat(status("a").tier()).isEqualTo(Tier.WARM);
    assertThat(status("a").pools()).containsEntry("host", 600L);
    assertThat(used("cuda:0")).isEqualTo(600);

    ask("a");
    assertThat(status("a").tier()).isEqualTo(Tier.ACTIVE);
    assertThat(status("a").loads()).isEqualTo(2); // the load and the promotion
    assertThat(status("b").tier()).isEqualTo(Tier.WARM);
    assertThat(events).extracting(ModelEvent::type)
        .containsExactly(ModelEvent.Type.LOADED, ModelEvent.Type.DEMOTED, ModelEvent.Type.LOADED,
            ModelEvent.Type.DEMOTED, ModelEvent.Type.PROMOTED);
  }

  @Test
  void should_unload_after_keep_alive_and_right_after_use_for_zero() {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    manager = builder(memory(10_000, Duration.ofMinutes(5), -1, "lru"), HOST_ONLY)
        .clock(clock)
        .model(echo("default", 100).build())
        .model(echo("zero", 100).keepAlive(Duration.ZERO).build())
        .model(echo("forever", 100).keepAlive(Duration.ofSeconds(-1)).build())
        .build();
    ask("default");
    ask("zero");
    ask("forever");
    assertThat(status("zero").tier()).isEqualTo(Tier.COLD);

    clock.advance(Duration.ofMinutes(4));
    assertThat(status("default").tier()).isEqualTo(Tier.ACTIVE);
    clock.advance(Duration.ofMinutes(2));
    awaitUntil(() -> status("default").tier() == Tier.COLD);
    clock.advance(Duration.ofDays(365));
    assertThat(status("forever").tier()).isEqualTo(Tier.ACTIVE);
  }

  @Test
  void should_keep_at_most_max_loaded_models() {
    manager = builder(memory(10_000, null, 2, "lru"), HOST_ONLY)
        .model(echo("a", 10).build()).model(echo("b", 10).build()).model(echo("c", 10).build())
        .build();
    ask("a");
    ask("b");

    ask("c");

    assertThat(manager.models()).filteredOn(s -> s.tier() == Tier.ACTIVE).extracting(s -> s.ref().id())
        .containsExactlyInAnyOrder("b", "c");
  }

  @Test
  void should_preload_in_the_background_without_blocking_other_models() throws Exception {
    manager = builder(budget(10_000), HOST_ONLY)
        .model(echo("slow", 100).option("load_delay", "2s").build())
        .model(echo("fast", 100).build())
        .build();

    CompletableFuture<Void> preload = manager.preload("slow");
    assertThat(ask("fast")).isEqualTo("fast@latest: hi");
    assertThat(preload).as("the other model was served while this one still loaded").isNotDone();

    preload.get(10, TimeUnit.SECONDS);
    assertThat(status("slow").tier()).isEqualTo(Tier.ACTIVE);
    assertThat(manager.preload("nope")).isCompletedExceptionally();
  }

  @Test
  void should_learn_a_measured_footprint_and_admit_by_it_next_time() {
    manager = builder(budget(1_000), HOST_ONLY)
        .model(echo("liar", 100).option("measured_bytes", 700).build())
        .model(echo("other", 500).build())
        .build();
    manager.pin("other").join();
    long budget = 1_000; // the pinned model holds 500; the liar says 100 and measures 700

    GenerateRequest soon = GenerateRequest.builder().model("liar").prompt("x").deadline(Instant.now().plusMillis(300)).build();
    assertThatThrownBy(() -> manager.generate(soon)).isInstanceOf(DeadlineExceededException.class);
    assertThat(used("host")).isLessThanOrEqualTo(budget);
    assertThat(status("liar").tier()).isEqualTo(Tier.COLD);

    manager.unpin("other");
    assertThat(ask("liar")).isEqualTo("liar@latest: hi");
    assertThat(status("liar").pools()).containsEntry("host", 700L);
    assertThat(status("other").tier()).isEqualTo(Tier.COLD);
    assertThat(used("host")).isEqualTo(700);
  }

  @Test
  void should_cancel_a_load_whose_callers_have_all_gone() {
    manager = builder(budget(1_000), HOST_ONLY).model(echo("slow", 100).option("load_delay", "500ms").build()).build();

    GenerateRequest hurried = GenerateRequest.builder().model("slow").prompt("x").deadline(Instant.now().plusMillis(100)).build();
    assertThatThrownBy(() -> manager.generate(hurried)).isInstanceOf(DeadlineExceededException.class);

    awaitUntil(() -> status("slow").evictions() == 1);
    assertThat(status("slow").tier()).isEqualTo(Tier.COLD);
    assertThat(used("host")).isZero();
  }

  @Test
  void should_wait_for_leases_before_unloading() throws Exception {
    GateModelFactory gate = new GateModelFactory(1);
    manager = builder(budget(1_000), HOST_ONLY).factory(gate).model(ModelSpec.builder("g", "gate").option("bytes", 100).build()).build();
    CompletableFuture<GenerateResponse> running = manager.generateAsync(GenerateRequest.of("g", "x"));
    assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<Void> unload = CompletableFuture.runAsync(() -> manager.unload("g"));
    assertThatThrownBy(() -> unload.get(200, TimeUnit.MILLISECONDS)).isInstanceOf(java.util.concurrent.TimeoutException.class);

    gate.gate.countDown();
    unload.get(10, TimeUnit.SECONDS);
    assertThat(running.get().text()).isEqualTo("ab");
    assertThat(status("g").tier()).isEqualTo(Tier.COLD);
    assertThat(used("host")).isZero();
  }

  @Test
  void should_report_a_failed_load_as_an_event() {
    manager = builder(budget(1_000), HOST_ONLY).model(echo("bad", 100).option("fail_load", true).build()).build();

    assertThatThrownBy(() -> ask("bad")).isInstanceOf(ModelLoadException.class);

    assertThat(events).extracting(ModelEvent::type).containsExactly(ModelEvent.Type.LOAD_FAILED);
    assertThat(events.get(0).failure()).isPresent();
    assertThat(used("host")).isZero();
  }

  @Test
  void should_serve_groups_of_requests_per_model_instead_of_thrashing() throws Exception {
    manager = builder(budget(1_000), HOST_ONLY)
        .model(echo("a", 600).option("load_delay", "20ms").option("token_delay", "2ms").build())
        .model(echo("b", 600).option("load_delay", "20ms").option("token_delay", "2ms").build())
        .build();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        String model = i % 2 == 0 ? "a" : "b";
        answers.add(pool.submit(() -> ask(model)));
      }
      for (Future<String> f : answers) {
        assertThat(f.get(30, TimeUnit.SECONDS)).endsWith(": hi");
      }
    } finally {
      pool.shutdownNow();
    }
    long loads = status("a").loads() + status("b").loads();
    assertThat(loads).as("40 alternating requests, loads").isLessThanOrEqualTo(8);
  }
}
