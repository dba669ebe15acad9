package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.TokenSink;
import io.modelmux.testing.EchoAdapter;
import io.modelmux.testing.GateModelFactory;
import io.modelmux.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MultiModelManagerTest {
  private MultiModelManager manager;

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
  }

  private static ModelSpec echo(String id, String version) {
    return ModelSpec.builder(id, "echo").version(version).build();
  }

  private MultiModelManager.Builder builder() {
    return MultiModelManager.builder().environment(name -> null);
  }

  @Test
  void should_discover_the_echo_factory_through_service_loader() {
    manager = builder().build();

    assertThat(manager.factories().types()).contains("echo");
    assertThat(manager.factories().problems()).isEmpty();
  }

  @Test
  void should_register_10000_models_of_the_builder_at_once() {
    MultiModelManager.Builder b = builder();
    for (int i = 0; i < 10_000; i++) {
      b.model(echo("model-" + i, "1"));
    }
    manager = b.alias("prod", "model-5000@1").build();

    assertThat(manager.models()).hasSize(10_000);
    assertThat(manager.resolve("model-9999")).isEqualTo(new ModelRef("model-9999", "1"));
    assertThat(manager.resolve("prod")).isEqualTo(new ModelRef("model-5000", "1"));
    assertThat(manager.models().get(0).ref().id()).as("registration order kept").isEqualTo("model-0");
  }

  @Test
  void should_refuse_a_version_given_twice_among_the_builders_models_and_register_none() {
    assertThatThrownBy(() -> builder().model(echo("a", "1")).model(echo("b", "1")).model(echo("a", "1")).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("version '1' is already registered");
  }

  @Test
  void should_resolve_a_model_by_id_version_and_alias() {
    manager =
        builder()
            .model(echo("tiny", "1"))
            .model(echo("tiny", "2"))
            .alias("prod", "tiny@2")
            .build();

    assertThat(manager.resolve("tiny")).isEqualTo(new ModelRef("tiny", "1"));
    assertThat(manager.resolve("tiny@2")).isEqualTo(new ModelRef("tiny", "2"));
    assertThat(manager.resolve("prod")).isEqualTo(new ModelRef("tiny", "2"));
    assertThat(manager.generate(GenerateRequest.of("prod", "hi")).text()).isEqualTo("tiny@2: hi");
    assertThat(manager.generate(GenerateRequest.of("tiny", "hi")).model())
        .isEqualTo(new ModelRef("tiny", "1"));
  }

  @Test
  void should_serve_a_request_that_names_no_model_with_the_default_model() {
    manager = builder().model(echo("a", "1")).model(echo("b", "1")).defaultModel("b").build();

    GenerateResponse r = manager.generate(GenerateRequest.of("hello there"));

    assertThat(r.model()).isEqualTo(new ModelRef("b", "1"));
    assertThat(r.text()).isEqualTo("b@1: hello there");
  }

  @Test
  void should_let_the_environment_override_the_configured_default_model() {
    manager =
        MultiModelManager.builder()
            .environment(Map.of("MODELMUX_DEFAULT_MODEL", "a")::get)
            .model(echo("a", "1"))
            .model(echo("b", "1"))
            .defaultModel("b")
            .build();

    assertThat(manager.generate(GenerateRequest.of("x")).model().id()).isEqualTo("a");
    assertThat(manager.models()).filteredOn(ModelStatus::isDefault).extracting(s -> s.ref().id())
        .containsExactly("a");
  }

  @Test
  void should_fail_the_build_when_the_environment_default_names_no_model() {
    assertThatThrownBy(
            () ->
                MultiModelManager.builder()
                    .environment(Map.of("MODELMUX_DEFAULT_MODEL", "tiny-lmm")::get)
                    .model(echo("tiny-lm", "1"))
                    .build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("MODELMUX_DEFAULT_MODEL")
        .hasMessageContaining("did you mean 'tiny-lm'?");
  }

  @Test
  void should_refuse_a_request_without_model_when_no_default_is_set() {
    manager = builder().model(echo("a", "1")).build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("x")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("no default model")
        .hasMessageContaining("a@1");
  }

  @Test
  void should_list_known_models_and_the_closest_match_for_an_unknown_model() {
    manager = builder().model(echo("tiny-lm", "1")).model(echo("llama-8b", "1")).alias("prod", "tiny-lm").build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("tiny-ln", "x")))
        .isInstanceOfSatisfying(
            UnknownModelException.class,
            e -> {
              assertThat(e.requested()).isEqualTo("tiny-ln");
              assertThat(e.closestMatch()).contains("tiny-lm");
              assertThat(e.knownModels())
                  .containsExactly("llama-8b", "llama-8b@1", "prod", "tiny-lm", "tiny-lm@1");
              assertThat(e.isRetryable()).isFalse();
              assertThat(e.modelId()).contains("tiny-ln");
            })
        .hasMessageContaining("unknown model 'tiny-ln'; did you mean 'tiny-lm'?")
        .hasMessageContaining("prod (alias of tiny-lm)");
  }

  @Test
  void should_say_which_model_an_alias_lost_when_its_target_is_unregistered() {
    manager = builder().model(echo("a", "1")).model(echo("b", "1")).alias("prod", "a@1").build();

    manager.unregister("a");

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("prod", "x")))
        .isInstanceOf(UnknownModelException.class)
        .hasMessageContaining("alias 'prod' points to 'a@1', which is not registered any more");
  }

  @Test
  void should_move_a_bare_id_to_the_next_version_when_the_primary_is_unregistered() {
    manager = builder().model(echo("m", "1")).model(echo("m", "2")).alias("prod", "m").build();

    manager.unregister("m@1");

    assertThat(manager.resolve("m")).isEqualTo(new ModelRef("m", "2"));
    assertThat(manager.resolve("prod")).isEqualTo(new ModelRef("m", "2"));
  }

  @Test
  void should_switch_an_alias_atomically_at_run_time() {
    manager = builder().model(echo("m", "1")).model(echo("m", "2")).alias("prod", "m@1").build();

    manager.alias("prod", "m@2");

    assertThat(manager.generate(GenerateRequest.of("prod", "x")).model().version()).isEqualTo("2");
    assertThat(manager.removeAlias("prod")).isTrue();
    assertThat(manager.removeAlias("prod")).isFalse();
    assertThatThrownBy(() -> manager.resolve("prod")).isInstanceOf(UnknownModelException.class);
  }

  @Test
  void should_refuse_an_alias_that_is_a_model_id_or_points_nowhere() {
    manager = builder().model(echo("m", "1")).build();

    assertThatThrownBy(() -> manager.alias("m", "m@1"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("already a model id");
    assertThatThrownBy(() -> manager.alias("prod", "nope"))
        .isInstanceOf(UnknownModelException.class);
    assertThatThrownBy(() -> builder().model(echo("m", "1")).alias("prod", "nope").build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("aliases.prod");
  }

  @Test
  void should_register_and_unregister_models_at_run_time() {
    manager = builder().build();

    ModelRef ref = manager.register(echo("late", "3"));
    assertThat(manager.generate(GenerateRequest.of("late", "x")).text()).isEqualTo("late@3: x");

    assertThat(manager.unregister("late")).containsExactly(ref);
    assertThat(manager.models()).isEmpty();
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("late", "x")))
        .isInstanceOf(UnknownModelException.class);
    assertThatThrownBy(() -> manager.unregister("late")).isInstanceOf(UnknownModelException.class);
  }

  @Test
  void should_refuse_a_duplicate_registration_and_an_id_that_is_an_alias() {
    manager = builder().model(echo("m", "1")).alias("prod", "m").build();

    assertThatThrownBy(() -> manager.register(echo("m", "1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("version '1' is already registered");
    assertThatThrownBy(() -> manager.register(echo("prod", "1")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("already an alias");
    assertThatThrownBy(() -> manager.unregister("prod"))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("is an alias");
  }

  @Test
  void should_finish_in_flight_requests_before_closing_an_unregistered_model() throws Exception {
    GateModelFactory gate = new GateModelFactory(2);
    manager = builder().factory(gate).model(ModelSpec.builder("g", "gate").build()).build();
    CompletableFuture<GenerateResponse> first = manager.generateAsync(GenerateRequest.of("g", "x"));
    CompletableFuture<GenerateResponse> second = manager.generateAsync(GenerateRequest.of("g", "y"));
    assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();

    CompletableFuture<List<ModelRef>> unregister =
        CompletableFuture.supplyAsync(() -> manager.unregister("g"));
    // New requests are refused at once, while the two in flight still run.
    awaitUntil(() -> manager.models().stream().anyMatch(s -> s.state() == ModelState.DRAINING));
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("g", "z")))
        .isInstanceOf(UnknownModelException.class);
    assertThat(unregister).isNotDone();
    assertThat(gate.closed).isFalse();
    assertThat(manager.models()).singleElement().satisfies(s -> assertThat(s.inFlight()).isEqualTo(2));

    gate.gate.countDown();

    assertThat(first.get(10, TimeUnit.SECONDS).text()).isEqualTo("ab");
    assertThat(second.get(10, TimeUnit.SECONDS).text()).isEqualTo("ab");
    assertThat(unregister.get(10, TimeUnit.SECONDS)).containsExactly(new ModelRef("g", "latest"));
    assertThat(gate.closed).isTrue();
    assertThat(manager.models()).isEmpty();
  }

  @Test
  void should_name_the_known_types_and_the_artifact_for_an_unknown_type() {
    assertThatThrownBy(() -> builder().model(ModelSpec.builder("x", "djl").build()).build())
        .isInstanceOfSatisfying(
            UnknownModelTypeException.class,
            e -> {
              assertThat(e.type()).isEqualTo("djl");
              assertThat(e.knownTypes()).contains("echo");
            })
        .hasMessageContaining("no model factory for type 'djl' of model 'x'")
        .hasMessageContaining("known types: echo")
        .hasMessageContaining("io.modelmux:modelmux-djl");
  }

  @Test
  void should_reject_an_unknown_option_naming_the_closest_one() {
    ModelSpec spec = ModelSpec.builder("x", "echo").option("byts", 10).build();

    assertThatThrownBy(() -> builder().model(spec).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("option 'byts' of model 'x' is not an option of type 'echo'")
        .hasMessageContaining("did you mean 'bytes'?");
  }

  @Test
  void should_suggest_a_common_key_for_a_misspelt_one() {
    ModelSpec spec = ModelSpec.builder("x", "echo").option("pined", true).build();

    assertThatThrownBy(() -> builder().model(spec).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("did you mean 'pinned'?");
  }

  @Test
  void should_report_a_failed_load_and_retry_it_on_the_next_request() {
    manager = builder().model(ModelSpec.builder("bad", "echo").option("fail_load", true).build()).build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("bad", "x")))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("bad");
    assertThat(manager.model("bad")).get().extracting(ModelStatus::state).isEqualTo(ModelState.FAILED);
    assertThatThrownBy(() -> manager.load("bad")).isInstanceOf(ModelLoadException.class);
    assertThat(manager.model("bad").get().failures()).isEqualTo(1);
  }

  @Test
  void should_load_once_on_first_use_and_report_status() {
    manager =
        builder()
            .model(ModelSpec.builder("m", "echo").option("bytes", "2KiB").tags("chat").build())
            .alias("prod", "m")
            .defaultModel("prod")
            .build();
    assertThat(manager.model("m").get().state()).isEqualTo(ModelState.REGISTERED);
    assertThat(manager.model("m").get().bytesMeasured()).isFalse();

    manager.generate(GenerateRequest.of("a"));
    manager.generate(GenerateRequest.of("m", "b"));

    ModelStatus s = manager.model("prod").orElseThrow();
    assertThat(s.ref()).isEqualTo(new ModelRef("m", "latest"));
    assertThat(s.state()).isEqualTo(ModelState.LOADED);
    assertThat(s.loads()).isEqualTo(1);
    assertThat(s.requests()).isEqualTo(2);
    assertThat(s.failures()).isZero();
    assertThat(s.inFlight()).isZero();
    assertThat(s.aliases()).containsExactly("prod");
    assertThat(s.isDefault()).isTrue();
    assertThat(s.isPrimary()).isTrue();
    assertThat(s.tags()).containsExactly("chat");
    assertThat(s.bytes()).isEqualTo(2048);
    assertThat(s.bytesMeasured()).isTrue();
    assertThat(s.lastUsed()).isPresent();
    assertThat(manager.model("nothing")).isEmpty();
  }

  @Test
  void should_return_usage_latency_and_finish_reason() {
    manager = builder().model(echo("m", "1")).build();

    GenerateResponse r =
        manager.generate(GenerateRequest.builder().model("m").prompt("one two three").maxTokens(2).build());

    assertThat(r.text()).isEqualTo("m@1: one");
    assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(r.usage()).contains(new Usage(3, 2));
    assertThat(r.latency()).isPositive();
    assertThat(r.cached()).isFalse();
  }

  @Test
  void should_serve_chat_messages() {
    manager = builder().model(echo("m", "1")).build();

    GenerateResponse r =
        manager.generate(
            GenerateRequest.builder()
                .model("m")
                .message(ChatMessage.system("be brief"))
                .message(ChatMessage.user("hello you"))
                .build());

    assertThat(r.text()).isEqualTo("m@1: hello you");
  }

  @Test
  void should_pass_backend_errors_through_typed_after_the_retries() {
    manager = builder().model(echo("m", "1").toBuilder().retry(RetryPolicy.builder().backoff(Duration.ofMillis(1)).build()).build()).build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "FAIL")))
        .isInstanceOfSatisfying(
            BackendException.class,
            e -> {
              assertThat(e.isRetryable()).isTrue();
              assertThat(e.statusCode()).hasValue(503);
              assertThat(e.getSuppressed()).as("the two failures before it").hasSize(2).allSatisfy(s -> assertThat(s).isInstanceOf(BackendException.class));
            });
    assertThat(manager.model("m").get().failures()).as("three attempts: the default retry policy").isEqualTo(3);
    assertThat(manager.model("m").get().guardStats().retries()).isEqualTo(2);
  }

  @Test
  void should_wrap_an_undocumented_adapter_exception_in_a_backend_exception() {
    ModelFactory broken = new ThrowingFactory();
    manager = builder().factory(broken).model(ModelSpec.builder("t", "throwing").build()).build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("t", "x")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("undocumented exception")
        .hasRootCauseInstanceOf(ArithmeticException.class);
  }

  @Test
  void should_complete_generate_async_and_report_failures_through_the_future() throws Exception {
    manager = builder().model(echo("m", "1")).build();

    CompletableFuture<GenerateResponse> ok = manager.generateAsync(GenerateRequest.of("m", "x"));
    CompletableFuture<GenerateResponse> bad = manager.generateAsync(GenerateRequest.of("nope", "x"));

    assertThat(ok.get(10, TimeUnit.SECONDS).text()).isEqualTo("m@1: x");
    assertThat(bad).failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(UnknownModelException.class);
    assertThat(manager.generateAsync(null)).isCompletedExceptionally();
  }

  @Test
  void should_refuse_a_request_past_its_deadline() {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    manager = builder().clock(clock).model(echo("m", "1")).build();
    GenerateRequest request =
        GenerateRequest.builder().model("m").prompt("x").deadline(clock.instant().plusSeconds(5)).build();
    assertThat(manager.generate(request).text()).isEqualTo("m@1: x");

    clock.advance(Duration.ofSeconds(5));

    assertThatThrownBy(() -> manager.generate(request))
        .isInstanceOfSatisfying(
            DeadlineExceededException.class, e -> assertThat(e.modelId()).contains("m"))
        .hasMessageContaining("passed its deadline");
  }

  @Test
  void should_refuse_everything_after_close_and_close_models_once() {
    manager = builder().model(echo("m", "1")).build();
    manager.generate(GenerateRequest.of("m", "x"));

    manager.close();
    manager.close();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("m", "x")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> manager.register(echo("n", "1"))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> manager.models()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void should_throw_illegal_state_from_every_method_after_close_never_a_retryable_error() throws Exception {
    manager = builder().model(echo("m", "1")).build();
    manager.close();
    GenerateRequest request = GenerateRequest.of("m", "x");

    for (Runnable call :
        List.<Runnable>of(
            () -> manager.generate(request), () -> manager.stream(request), () -> manager.stream(request, new StreamingTest.Recorder()),
            () -> manager.resolve("m"), () -> manager.unpin("m"), () -> manager.pin("m"), () -> manager.load("m"),
            () -> manager.unload("m"), () -> manager.unregister("m"), () -> manager.alias("a", "m"),
            () -> manager.removeAlias("a"), () -> manager.model("m"), () -> manager.pools(), () -> manager.factories(),
            () -> manager.promote("r"), () -> manager.routes())) {
      assertThatThrownBy(call::run).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
    for (CompletableFuture<?> f :
        List.of(manager.generateAsync(request), manager.preload("m"), manager.switchTarget("a", "m"), manager.rollback("a"))) {
      assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void should_fail_requests_racing_close_as_closed_not_as_unknown_or_retryable() throws Exception {
    manager = builder().model(ModelSpec.builder("slow", "echo").option("token_delay", "2ms").build()).build();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(16);
    try {
      for (int i = 0; i < 16; i++) {
        pool.execute(() -> {
          running.countDown();
          while (!stop.get()) {
            try {
              manager.generate(GenerateRequest.of("slow", "a b c"));
            } catch (RuntimeException e) {
              failures.add(e);
            }
          }
        });
      }
      running.await();
      awaitUntil(() -> manager.model("slow").map(s -> s.requests() > 20).orElse(false));

      manager.close();
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000);
      stop.set(true);
    } finally {
      pool.shutdown();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    assertThat(failures).isNotEmpty().allSatisfy(e -> assertThat(e).isInstanceOf(IllegalStateException.class));
  }

  @Test
  void should_report_an_adapter_that_returns_no_completion_in_a_stream_too() throws Exception {
    manager = builder().factory(new ThrowingFactory(true)).model(ModelSpec.builder("n", "null").build()).build();

    StreamingTest.Recorder listener = new StreamingTest.Recorder();
    manager.stream(GenerateRequest.of("n", "x"), listener);

    assertThatThrownBy(() -> listener.done.get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("returned no completion")
        .hasNoCause();
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("n", "x")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("returned no completion");
  }

  @Test
  void should_find_a_draining_model_by_name_as_models_lists_it() throws Exception {
    GateModelFactory gate = new GateModelFactory(1);
    manager = builder().factory(gate).model(ModelSpec.builder("g", "gate").build()).build();
    CompletableFuture<GenerateResponse> inFlight = manager.generateAsync(GenerateRequest.of("g", "x"));
    awaitUntil(() -> manager.model("g").map(s -> s.inFlight() == 1).orElse(false));

    CompletableFuture<List<ModelRef>> unregister = CompletableFuture.supplyAsync(() -> manager.unregister("g"));
    awaitUntil(() -> manager.models().stream().anyMatch(s -> s.state() == ModelState.DRAINING));

    assertThat(manager.model("g")).hasValueSatisfying(s -> assertThat(s.state()).isEqualTo(ModelState.DRAINING));
    assertThat(manager.model("g@latest")).isPresent();
    gate.gate.countDown();
    inFlight.get(10, TimeUnit.SECONDS);
    unregister.get(10, TimeUnit.SECONDS);
    assertThat(manager.model("g")).isEmpty();
  }

  @Test
  void should_name_the_model_once_in_a_registry_error() {
    manager = builder().model(echo("tiny", "1")).build();

    assertThatThrownBy(() -> manager.register(echo("tiny", "1")))
        .hasMessage("model 'tiny': version '1' is already registered; unregister tiny@1 first or give this one another version");
  }

  @Test
  void should_refuse_an_alias_with_spaces_at_either_end_as_model_ids_are() {
    manager = builder().model(echo("m", "1")).build();

    assertThatThrownBy(() -> manager.alias(" sp ", "m")).isInstanceOf(ConfigException.class).hasMessageContaining("must not start or end with whitespace");
    assertThatThrownBy(() -> manager.alias("a\tb", "m")).isInstanceOf(ConfigException.class);
  }

  @Test
  void should_punctuate_an_unknown_model_message_once() {
    manager = builder().model(echo("alpha", "1")).build();

    assertThatThrownBy(() -> manager.resolve("alpah"))
        .hasMessage("unknown model 'alpah'; did you mean 'alpha'? Known models: alpha, alpha@1");
    assertThatThrownBy(() -> manager.resolve("zzz")).hasMessage("unknown model 'zzz'. Known models: alpha, alpha@1");
  }

  static void awaitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met within 10 s");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }

  /**
   * Type {@code throwing} (or {@code null}): its adapter fails with an exception outside the
   * documented family (or returns no completion). It cannot stream.
   */
  static final class ThrowingFactory implements ModelFactory {
    private final boolean returnsNull;

    ThrowingFactory() {
      this(false);
    }

    ThrowingFactory(boolean returnsNull) {
      this.returnsNull = returnsNull;
    }

    @Override
    public String type() {
      return returnsNull ? "null" : "throwing";
    }

    @Override
    public Set<String> optionKeys() {
      return Set.of();
    }

    @Override
    public ModelAdapter create(ModelSpec spec) {
      ModelInfo info = new ModelInfo(spec.ref(), type(), EnumSet.noneOf(Capability.class));
      return new ModelAdapter() {
        @Override
        public ModelInfo info() {
          return info;
        }

        @Override
        public void load() {}

        @Override
        public void unload() {}

        @Override
        public boolean isLoaded() {
          return true;
        }

        @Override
        public Completion generate(GenerateRequest request) {
          if (returnsNull) {
            return null;
          }
          throw new ArithmeticException("division by zero");
        }

        @Override
        public Completion stream(GenerateRequest request, TokenSink sink) {
          return generate(request);
        }

        @Override
        public Health health() {
          return Health.unknown("throwing");
        }

        @Override
        public Footprint footprint() {
          return Footprint.none();
        }

        @Override
        public void close() {}
      };
    }
  }

  static String expected(String id, String version, String prompt) {
    return EchoAdapter.expectedAnswer(new ModelRef(id, version), prompt);
  }
}
