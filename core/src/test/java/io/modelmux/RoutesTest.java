package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.Prices;
import io.modelmux.spi.TaskClassifier;
import io.modelmux.testing.GateModelFactory;
import io.modelmux.testing.MutableClock;
import io.modelmux.testing.StandardError;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Routes that work: splits, sticky keys, canaries, shadows, switches and automatic selection, with echo models. */
class RoutesTest {
  private MultiModelManager manager;
  private final List<RouteEvent> events = new CopyOnWriteArrayList<>();
  private final List<ShadowResult> shadows = new CopyOnWriteArrayList<>();
  private final RouteEventListener listener =
      new RouteEventListener() {
        @Override
        public void onEvent(RouteEvent event) {
          events.add(event);
        }

        @Override
        public void onShadow(ShadowResult result) {
          shadows.add(result);
        }
      };

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
  }

  private MultiModelManager.Builder builder() {
    return MultiModelManager.builder().environment(n -> null).routeListener(listener);
  }

  private static ModelSpec echo(String id, String version) {
    return ModelSpec.builder(id, "echo").version(version).build();
  }

  private Map<ModelRef, Integer> count(String model, int n, String key) {
    Map<ModelRef, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      GenerateRequest.Builder b = GenerateRequest.builder().model(model).prompt("hi");
      if (key != null) {
        b.routingKey(key + i);
      }
      counts.merge(manager.generate(b.build()).model(), 1, Integer::sum);
    }
    return counts;
  }

  // ---- weighted and sticky splits ------------------------------------------------------------

  @Test
  void should_split_10000_requests_by_weight_within_two_points() {
    manager =
        builder().model(echo("m", "1")).model(echo("m", "2"))
            .route(RouteConfig.builder("chat").split("m@1", 90).split("m@2", 10).build()).build();

    Map<ModelRef, Integer> counts = count("chat", 10_000, null);

    assertThat(counts.get(new ModelRef("m", "1")) / 10_000.0).isCloseTo(0.90, within(0.02));
    assertThat(counts.get(new ModelRef("m", "2")) / 10_000.0).isCloseTo(0.10, within(0.02));
    GenerateResponse r = manager.generate(GenerateRequest.of("chat", "hi"));
    assertThat(r.routing().route()).contains("chat");
    assertThat(r.routing().policy()).isEqualTo(Routing.Policy.SPLIT);
    assertThat(r.routing().reason()).matches("split: drew m@[12] \\(weight (90|10) of 100\\)");
    assertThat(manager.routes()).singleElement().satisfies(s -> {
      assertThat(s.shares()).containsEntry("m@1", 0.9).containsEntry("m@2", 0.1);
      assertThat(s.requests()).isEqualTo(10_001);
    });
  }

  @Test
  void should_keep_a_routing_key_on_its_target_and_move_only_what_a_weight_change_must() {
    RouteConfig even = RouteConfig.builder("chat").split("m@1", 50).split("m@2", 50).build();
    RouteConfig uneven = RouteConfig.builder("chat").split("m@1", 60).split("m@2", 40).build();
    Map<String, ModelRef> before = new HashMap<>();
    manager = builder().model(echo("m", "1")).model(echo("m", "2")).route(even).build();
    for (int i = 0; i < 10_000; i++) {
      GenerateRequest r = GenerateRequest.builder().model("chat").prompt("hi").routingKey("user-" + i).build();
      GenerateResponse first = manager.generate(r);
      assertThat(manager.generate(r).model()).isEqualTo(first.model()); // stable while the weights stand
      before.put("user-" + i, first.model());
      if (i == 0) {
        assertThat(first.routing().policy()).isEqualTo(Routing.Policy.STICKY);
        assertThat(first.routing().keyHash()).isPresent();
      }
    }
    manager.close();
    manager = builder().model(echo("m", "1")).model(echo("m", "2")).route(uneven).build();

    int moved = 0;
    int movedTheWrongWay = 0;
    for (int i = 0; i < 10_000; i++) {
      ModelRef now = manager.generate(GenerateRequest.builder().model("chat").prompt("hi").routingKey("user-" + i).build()).model();
      ModelRef was = before.get("user-" + i);
      if (!now.equals(was)) {
        moved++;
        if (now.version().equals("2")) {
          movedTheWrongWay++; // m@2 lost weight: no key should move to it
        }
      }
    }
    assertThat(movedTheWrongWay).isZero();
    assertThat(moved / 10_000.0).as("a 50/50 -> 60/40 change moves 10 % of the keys").isCloseTo(0.10, within(0.02));
  }

  // ---- canary ---------------------------------------------------------------------------------

  @Test
  void should_roll_a_failing_canary_back_with_its_numbers_and_an_event() {
    MutableClock clock = new MutableClock(Instant.parse("2026-11-28T00:00:00Z"));
    RouteConfig.Canary canary = new RouteConfig.Canary("m@1", "m@2", 30, Duration.ofMinutes(1), 10, 0.05, 2.0);
    manager =
        builder().clock(clock).model(echo("m", "1"))
            .model(ModelSpec.builder("m", "echo").version("2").option("fail_on", "hi").build())
            .route(RouteConfig.builder("chat").canary(canary).build()).build();

    int failures = 0;
    for (int i = 0; i < 400 && events.isEmpty(); i++) {
      try {
        GenerateResponse r = manager.generate(GenerateRequest.of("chat", "hi"));
        assertThat(r.routing().policy()).isEqualTo(Routing.Policy.CANARY);
      } catch (BackendException | CircuitOpenException e) {
        failures++; // the canary fails, then its circuit opens: either way the request failed
      }
    }

    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.type()).isEqualTo(RouteEvent.Type.CANARY_ROLLED_BACK);
      assertThat(e.from()).isEqualTo("m@2");
      assertThat(e.to()).isEqualTo("m@1");
      assertThat(e.reason()).contains("error rate 100.0%").contains("threshold 5.0 points").contains("PT1M");
    });
    assertThat(failures).as("each failed request made 3 attempts on the canary (the default retry); 10 attempts are judged")
        .isGreaterThanOrEqualTo(4);
    assertThat(count("chat", 200, null)).containsOnlyKeys(new ModelRef("m", "1")); // the canary's share is zero
    RouteStatus.CanaryStatus status = manager.routes().get(0).canaryStatus().orElseThrow();
    assertThat(status.state()).isEqualTo(RouteStatus.CanaryStatus.State.ROLLED_BACK);
    assertThat(status.percent()).isZero();
    assertThat(status.canary().errorRate()).isEqualTo(1.0);
    assertThat(status.canary().requests()).isGreaterThanOrEqualTo(10);
    assertThat(status.stable().requests()).isGreaterThanOrEqualTo(10);

    clock.advance(Duration.ofMinutes(2)); // the window forgets what it saw
    assertThat(manager.routes().get(0).canaryStatus().orElseThrow().canary().requests()).isZero();
  }

  @Test
  void should_roll_back_a_canary_slower_than_its_threshold() {
    RouteConfig.Canary canary = new RouteConfig.Canary("m@1", "m@2", 50, Duration.ofMinutes(1), 5, 0.05, 3.0);
    manager =
        builder().model(echo("m", "1"))
            .model(ModelSpec.builder("m", "echo").version("2").option("token_delay", "20ms").build())
            .route(RouteConfig.builder("chat").canary(canary).build()).build();

    for (int i = 0; i < 200 && events.isEmpty(); i++) {
      manager.generate(GenerateRequest.of("chat", "a b"));
    }

    assertThat(events).singleElement().satisfies(e -> assertThat(e.reason()).contains("p95 latency").contains("threshold 3.00 times"));
  }

  @Test
  void should_not_judge_a_canary_before_both_sides_have_enough_requests() {
    RouteConfig.Canary canary = new RouteConfig.Canary("m@1", "m@2", 50, Duration.ofMinutes(1), 1_000, 0.05, 2.0);
    manager =
        builder().model(echo("m", "1")).model(ModelSpec.builder("m", "echo").version("2").option("fail_on", "hi").build())
            .route(RouteConfig.builder("chat").canary(canary).build()).build();

    for (int i = 0; i < 100; i++) {
      try {
        manager.generate(GenerateRequest.of("chat", "hi"));
      } catch (BackendException | CircuitOpenException e) {
        // the canary fails (then its circuit opens); too few requests to judge
      }
    }

    assertThat(events).isEmpty();
    assertThat(manager.routes().get(0).canaryStatus().orElseThrow().state()).isEqualTo(RouteStatus.CanaryStatus.State.RUNNING);
  }

  @Test
  void should_promote_and_roll_back_a_canary_on_request() throws Exception {
    manager =
        builder().model(echo("m", "1")).model(echo("m", "2"))
            .route(RouteConfig.builder("chat").canary(RouteConfig.Canary.of("m@1", "m@2", 10)).build()).build();

    manager.promote("chat");
    assertThat(count("chat", 100, null)).containsOnlyKeys(new ModelRef("m", "2"));
    manager.rollback("chat").get(10, TimeUnit.SECONDS);
    assertThat(count("chat", 100, null)).containsOnlyKeys(new ModelRef("m", "1"));
    assertThat(events).extracting(RouteEvent::type).containsExactly(RouteEvent.Type.CANARY_PROMOTED, RouteEvent.Type.CANARY_ROLLED_BACK);
    assertThatThrownBy(() -> manager.promote("nope")).isInstanceOf(IllegalArgumentException.class);
  }

  // ---- shadow ---------------------------------------------------------------------------------

  @Test
  void should_copy_to_a_shadow_that_blocks_forever_without_delaying_callers_and_drop_past_the_cap() throws Exception {
    GateModelFactory gate = new GateModelFactory(2);
    manager =
        builder().factory(gate).model(echo("m", "1")).model(ModelSpec.builder("slow", "gate").build())
            .route(RouteConfig.builder("chat").target("m@1").shadow(new RouteConfig.Shadow("slow", 100, 2)).build()).build();
    try {
      long start = System.nanoTime();
      for (int i = 0; i < 50; i++) {
        assertThat(manager.generate(GenerateRequest.of("chat", "hi")).model()).isEqualTo(new ModelRef("m", "1"));
      }
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertThat(millis).as("50 requests whose shadow never answers").isLessThan(5_000);
      assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue(); // two copies run, and block
      RouteStatus.ShadowStatus s = manager.routes().get(0).shadowStatus().orElseThrow();
      assertThat(s.inFlight()).isEqualTo(2);
      assertThat(s.dropped()).isEqualTo(48);
      assertThat(manager.model("m").orElseThrow().requests()).isEqualTo(50);
      assertThat(manager.model("slow").orElseThrow().requests()).isZero(); // shadow calls count apart
    } finally {
      gate.gate.countDown();
    }
    MemorySchedulerTest.awaitUntil(() -> shadows.size() == 2);
    assertThat(shadows).allSatisfy(r -> {
      assertThat(r.route()).isEqualTo("chat");
      assertThat(r.target()).isEqualTo("slow");
      assertThat(r.text()).isEqualTo("ab");
      assertThat(r.failure()).isEmpty();
    });
    assertThat(manager.model("slow").orElseThrow().requestStats().shadowRequests()).isEqualTo(2);
  }

  @Test
  void should_sample_the_shadow_share_and_record_its_failures() {
    manager =
        builder().model(echo("m", "1")).model(ModelSpec.builder("broken", "echo").option("fail_on", "hi").build())
            .route(RouteConfig.builder("chat").target("m@1").shadow(new RouteConfig.Shadow("broken", 20, 1_000)).build()).build();

    for (int i = 0; i < 2_000; i++) {
      manager.generate(GenerateRequest.of("chat", "hi"));
    }

    MemorySchedulerTest.awaitUntil(() -> manager.routes().get(0).shadowStatus().orElseThrow().inFlight() == 0);
    RouteStatus.ShadowStatus s = manager.routes().get(0).shadowStatus().orElseThrow();
    assertThat((s.sent() + s.dropped()) / 2_000.0).isCloseTo(0.20, within(0.04));
    assertThat(s.failed()).isEqualTo(s.sent());
    assertThat(shadows).allSatisfy(r -> assertThat(r.failure()).isPresent());
  }

  // ---- zero-downtime switch -------------------------------------------------------------------

  @Test
  void should_switch_and_roll_back_under_16_threads_without_a_failed_request() throws Exception {
    manager =
        builder().model(echo("m", "1")).model(ModelSpec.builder("m", "echo").version("2").option("load_delay", "200ms").build())
            .alias("prod", "m@1").route(RouteConfig.builder("chat").target("m@1").build()).build();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    AtomicBoolean stop = new AtomicBoolean();
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    Map<String, Map<ModelRef, AtomicLong>> served = new ConcurrentHashMap<>();
    CountDownLatch started = new CountDownLatch(16);
    for (int t = 0; t < 16; t++) {
      String name = t % 2 == 0 ? "prod" : "chat";
      pool.execute(() -> {
        started.countDown();
        while (!stop.get()) {
          try {
            GenerateResponse r = manager.generate(GenerateRequest.of(name, "hi"));
            served.computeIfAbsent(name, k -> new ConcurrentHashMap<>()).computeIfAbsent(r.model(), k -> new AtomicLong()).incrementAndGet();
          } catch (RuntimeException e) {
            failures.add(e);
          }
        }
      });
    }
    started.await();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    CompletableFuture<Void> switchAlias = manager.switchTarget("prod", "m@2");
    CompletableFuture<Void> switchRoute = manager.switchTarget("chat", "m@2");
    switchAlias.get(10, TimeUnit.SECONDS);
    switchRoute.get(10, TimeUnit.SECONDS);
    assertThat(manager.resolve("prod")).isEqualTo(new ModelRef("m", "2"));
    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
    manager.rollback("prod").get(10, TimeUnit.SECONDS);
    manager.rollback("chat").get(10, TimeUnit.SECONDS);
    while (System.nanoTime() < end) {
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    stop.set(true);
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

    assertThat(failures).isEmpty();
    for (String name : List.of("prod", "chat")) {
      assertThat(served.get(name)).as(name).containsOnlyKeys(new ModelRef("m", "1"), new ModelRef("m", "2"));
    }
    assertThat(manager.resolve("prod")).isEqualTo(new ModelRef("m", "1"));
    assertThat(manager.generate(GenerateRequest.of("chat", "hi")).model()).isEqualTo(new ModelRef("m", "1"));
    assertThat(events).extracting(RouteEvent::type).containsOnly(RouteEvent.Type.SWITCHED).hasSize(4);
    assertThat(manager.routes().get(0).previous()).isEqualTo("m@2");
  }

  @Test
  void should_fail_a_switch_waiting_for_its_load_when_the_manager_closes() throws Exception {
    manager =
        builder().model(echo("m", "1")).model(ModelSpec.builder("m", "echo").version("2").option("load_delay", "500ms").build())
            .route(RouteConfig.builder("chat").target("m@1").build()).build();
    CompletableFuture<Void> switching = manager.switchTarget("chat", "m@2");

    manager.close();

    assertThat(switching).failsWithin(Duration.ofSeconds(10));
    assertThat(events).noneMatch(e -> e.type() == RouteEvent.Type.SWITCHED);
  }

  @Test
  void should_keep_the_old_target_when_the_new_one_fails_to_load() {
    manager =
        builder().model(echo("m", "1")).model(ModelSpec.builder("m", "echo").version("2").option("fail_load", true).build())
            .alias("prod", "m@1").build();

    assertThatThrownBy(() -> manager.switchTarget("prod", "m@2").get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(ModelLoadException.class);
    assertThat(manager.resolve("prod")).isEqualTo(new ModelRef("m", "1"));
    assertThatThrownBy(() -> manager.switchTarget("nope", "m@1").get()).hasCauseInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> manager.rollback("prod").get()).hasCauseInstanceOf(IllegalArgumentException.class);
  }

  // ---- automatic selection --------------------------------------------------------------------

  @Test
  void should_send_each_task_to_a_model_tagged_for_it_and_the_rest_to_the_default() {
    manager =
        builder()
            .model(ModelSpec.builder("coder", "echo").tags("code").build())
            .model(ModelSpec.builder("translator", "echo").tags("translation").build())
            .model(ModelSpec.builder("talker", "echo").tags("chat").build())
            .defaultModel("talker")
            .route(RouteConfig.builder("auto").auto(RouteConfig.Preference.PRIORITY).build()).build();

    GenerateResponse code = manager.generate(GenerateRequest.of("auto", "Fix this Python function: def f(x): return x +"));
    GenerateResponse translation = manager.generate(GenerateRequest.of("auto", "Translate into French: good morning"));
    GenerateResponse summary = manager.generate(GenerateRequest.of("auto", "Summarize this: the meeting moved to Friday."));

    assertThat(code.model().id()).isEqualTo("coder");
    assertThat(code.routing().policy()).isEqualTo(Routing.Policy.AUTO);
    assertThat(code.routing().task()).contains("code");
    assertThat(code.routing().reason()).contains("task 'code' -> coder@latest");
    assertThat(translation.model().id()).isEqualTo("translator");
    assertThat(summary.model().id()).isEqualTo("talker"); // no model is tagged summarization
    assertThat(summary.routing().reason()).contains("no model is tagged 'summarization'; the default model");
  }

  @Test
  void should_choose_among_tagged_models_by_price_priority_and_latency() {
    manager =
        builder()
            .model(ModelSpec.builder("cheap", "echo").tags("code").prices(new Prices(0.1, 0.2)).priority(1).build())
            .model(ModelSpec.builder("dear", "echo").tags("code").prices(new Prices(5, 15)).priority(9).option("token_delay", "5ms").build())
            .route(RouteConfig.builder("by-price").auto(RouteConfig.Preference.PRICE).build())
            .route(RouteConfig.builder("by-priority").auto(RouteConfig.Preference.PRIORITY).build())
            .route(RouteConfig.builder("by-latency").auto(RouteConfig.Preference.LATENCY).build()).build();
    String prompt = "Refactor this Java method to use streams";

    assertThat(manager.generate(GenerateRequest.of("by-price", prompt)).model().id()).isEqualTo("cheap");
    assertThat(manager.generate(GenerateRequest.of("by-priority", prompt)).model().id()).isEqualTo("dear");
    for (int i = 0; i < 20; i++) {
      manager.generate(GenerateRequest.of("by-latency", prompt)); // each is measured, then the faster wins
    }
    GenerateResponse fastest = manager.generate(GenerateRequest.of("by-latency", prompt));
    assertThat(fastest.model().id()).isEqualTo("cheap");
    assertThat(fastest.routing().reason()).contains("lowest median latency");
  }

  @Test
  void should_use_a_task_classifier_given_to_the_builder_and_survive_one_that_throws() {
    TaskClassifier always = request -> Optional.of("code");
    manager =
        builder().taskClassifier(always).model(ModelSpec.builder("coder", "echo").tags("code").build())
            .model(echo("talker", "1")).defaultModel("talker")
            .route(RouteConfig.builder("auto").auto(RouteConfig.Preference.LATENCY).build()).build();
    assertThat(manager.generate(GenerateRequest.of("auto", "Write a poem about snow")).model().id()).isEqualTo("coder");
    manager.close();

    TaskClassifier broken = request -> {
      throw new IllegalStateException("classifier bug");
    };
    manager =
        builder().taskClassifier(broken).model(ModelSpec.builder("coder", "echo").tags("code").build())
            .model(echo("talker", "1")).defaultModel("talker")
            .route(RouteConfig.builder("auto").auto(RouteConfig.Preference.LATENCY).build()).build();
    assertThat(manager.generate(GenerateRequest.of("auto", "def f(): pass")).model().id()).isEqualTo("talker");
  }

  @Test
  void should_find_a_task_classifier_with_service_loader_skipping_one_that_fails_to_load() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("classifier");
    java.nio.file.Path services = dir.resolve("META-INF/services");
    java.nio.file.Files.createDirectories(services);
    java.nio.file.Files.writeString(services.resolve(TaskClassifier.class.getName()), "com.example.MissingClassifier\n" + AlwaysTranslation.class.getName() + "\n");
    ClassLoader before = Thread.currentThread().getContextClassLoader();
    Thread.currentThread().setContextClassLoader(new java.net.URLClassLoader(new java.net.URL[] {dir.toUri().toURL()}, before));
    try {
      manager =
          builder().model(ModelSpec.builder("translator", "echo").tags("translation").build()).model(echo("talker", "1"))
              .defaultModel("talker").route(RouteConfig.builder("auto").auto(RouteConfig.Preference.LATENCY).build()).build();
    } finally {
      Thread.currentThread().setContextClassLoader(before);
    }

    assertThat(manager.generate(GenerateRequest.of("auto", "def f(): pass")).model().id()).isEqualTo("translator");
  }

  /** A classifier found through META-INF/services in the test above. */
  public static final class AlwaysTranslation implements TaskClassifier {
    @Override
    public Optional<String> classify(GenerateRequest request) {
      return Optional.of(TRANSLATION);
    }
  }

  // ---- names, defaults, routes of routes ------------------------------------------------------

  @Test
  void should_take_a_route_as_the_default_and_send_through_a_route_of_routes() {
    manager =
        builder().model(echo("m", "1")).model(echo("m", "2"))
            .route(RouteConfig.builder("inner").split("m@2", 1).build())
            .route(RouteConfig.builder("outer").split("inner", 1).build())
            .defaultModel("outer").build();

    GenerateResponse r = manager.generate(GenerateRequest.of("hi"));

    assertThat(r.model()).isEqualTo(new ModelRef("m", "2"));
    assertThat(r.routing().route()).contains("outer");
    assertThat(r.routing().reason()).contains("then route route inner");
  }

  @Test
  void should_refuse_bad_routes_in_code_naming_what_is_known() {
    MultiModelManager.Builder b = builder().model(echo("m", "1"));

    assertThatThrownBy(() -> builder().model(echo("m", "1")).route(RouteConfig.builder("r").split("nope", 1).build()).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'nope', which is not a model, an alias or a route; known: m, m@1, r");
    assertThatThrownBy(() -> builder().model(echo("m", "1")).route(RouteConfig.builder("m").split("m@1", 1).build()).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("has the name of a model");
    assertThatThrownBy(() -> builder().model(echo("m", "1"))
            .route(RouteConfig.builder("a").split("b", 1).build()).route(RouteConfig.builder("b").split("a", 1).build()).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes form a cycle: a -> b -> a");
    assertThatThrownBy(() -> builder().model(echo("m", "1"))
            .route(RouteConfig.builder("r").target("m@1").shadow(new RouteConfig.Shadow("m@1", 10, 1)).build()).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("shadows to 'm@1', which it already sends to");
    assertThatThrownBy(() -> RouteConfig.builder("r").split("m", 0)).hasMessageContaining("must be positive, got 0");
    assertThatThrownBy(() -> RouteConfig.Canary.of("a", "b", 101)).hasMessageContaining("from 0 to 100, got 101");
    assertThatThrownBy(() -> RouteConfig.builder("r").build()).hasMessageContaining("exactly one policy");
    manager = b.route(RouteConfig.builder("r").target("m@1").build()).build();
    assertThatThrownBy(() -> manager.register(echo("r", "1"))).isInstanceOf(ConfigException.class).hasMessageContaining("name of a route");
    assertThatThrownBy(() -> manager.alias("r", "m@1")).isInstanceOf(ConfigException.class).hasMessageContaining("name of a route");
    assertThatThrownBy(() -> manager.resolve("rr")).hasMessageContaining("did you mean 'r'?");
  }

  @Test
  void should_refuse_a_route_name_where_one_model_is_needed_without_counting_a_request() {
    manager = builder().model(echo("m", "1")).route(RouteConfig.builder("r").target("m@1").build()).build();
    String says = "'r' is a route, which chooses a model per request; name one of its models";

    assertThatThrownBy(() -> manager.load("r")).isInstanceOf(InvalidRequestException.class).hasMessage(says);
    assertThatThrownBy(() -> manager.unload("r")).isInstanceOf(InvalidRequestException.class).hasMessage(says);
    assertThatThrownBy(() -> manager.unpin("r")).isInstanceOf(InvalidRequestException.class).hasMessage(says);
    assertThatThrownBy(() -> manager.pin("r")).isInstanceOf(InvalidRequestException.class).hasMessage(says);
    assertThat(manager.preload("r")).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause().isInstanceOf(InvalidRequestException.class).withMessage(says);
    assertThat(manager.switchTarget("r", "r")).failsWithin(Duration.ofSeconds(5))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class).havingCause().isInstanceOf(InvalidRequestException.class);
    assertThat(manager.preload("rr")).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .havingCause().isInstanceOf(UnknownModelException.class).withMessageContaining("did you mean 'r'?");
    assertThat(manager.routes().get(0).requests()).isZero();
    assertThat(manager.model("m@1").orElseThrow().requestStats().requests()).isZero();
  }

  @Test
  void should_find_a_cycle_reached_from_a_route_outside_it_and_check_a_deep_diamond_of_routes_at_once() {
    assertThatThrownBy(() -> builder().model(echo("m", "1"))
            .route(RouteConfig.builder("x").split("a", 1).build())
            .route(RouteConfig.builder("a").split("b", 1).build())
            .route(RouteConfig.builder("b").split("a", 1).split("m@1", 1).build()).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("routes form a cycle: a -> b -> a;");
    // 40 layers of two routes, each sending to both of the next: 2^40 paths, 80 routes
    MultiModelManager.Builder b = builder().model(echo("m", "1"));
    for (int layer = 0; layer < 40; layer++) {
      for (String side : List.of("l", "r")) {
        b.route(layer == 39
            ? RouteConfig.builder(side + layer).target("m@1").build()
            : RouteConfig.builder(side + layer).split("l" + (layer + 1), 1).split("r" + (layer + 1), 1).build());
      }
    }
    manager = b.build();
    assertThat(manager.generate(GenerateRequest.of("l0", "hi")).model()).isEqualTo(new ModelRef("m", "1"));
  }

  @Test
  void should_leave_out_an_unregistered_target_and_fail_only_when_none_is_left() {
    manager =
        builder().model(echo("a", "1")).model(echo("b", "1")).route(RouteConfig.builder("r").split("a", 1).split("b", 1).build()).build();

    manager.unregister("b");

    assertThat(count("r", 50, null)).containsOnlyKeys(new ModelRef("a", "1"));
    manager.unregister("a");
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("r", "hi")))
        .isInstanceOf(UnknownModelException.class)
        .hasMessageContaining("route 'r' has no target registered now");
    manager.register(echo("a", "2"));
    assertThat(manager.generate(GenerateRequest.of("r", "hi")).model()).isEqualTo(new ModelRef("a", "2"));
  }

  @Test
  void should_stream_through_a_route_and_say_how_it_was_routed() {
    manager = builder().model(echo("m", "1")).route(RouteConfig.builder("chat").target("m@1").build()).build();

    try (TokenStream s = manager.stream(GenerateRequest.of("chat", "a b"))) {
      assertThat(String.join("", s)).isEqualTo("m@1: a b");
      assertThat(s.response().routing().reason()).isEqualTo("route target m@1");
    }
  }

  @Test
  void should_plan_under_16_threads_while_models_come_and_go() throws Exception {
    manager =
        builder().model(echo("a", "1")).model(echo("b", "1"))
            .route(RouteConfig.builder("r").split("a", 3).split("b", 1).build()).build();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    AtomicBoolean stop = new AtomicBoolean();
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    for (int t = 0; t < 16; t++) {
      int key = t;
      pool.execute(() -> {
        int i = 0;
        while (!stop.get()) {
          try {
            manager.generate(GenerateRequest.builder().model("r").prompt("hi").routingKey("k" + key + "-" + i++ % 50).build());
          } catch (RuntimeException e) {
            failures.add(e);
          }
        }
      });
    }
    // churn until the planners have made thousands of requests during it, not only 20 rounds
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    int rounds = 0;
    while (rounds < 20 || manager.routes().get(0).requests() < 5_000 && System.nanoTime() < deadline) {
      manager.register(echo("b", "v" + rounds)); // republishes the snapshot under the planners' feet
      manager.unregister("b@v" + rounds);
      rounds++;
    }
    stop.set(true);
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    assertThat(failures).isEmpty();
    assertThat(manager.routes().get(0).requests()).isGreaterThanOrEqualTo(5_000);
  }

  @Test
  void should_keep_the_state_of_the_other_routes_when_one_is_switched() throws Exception {
    manager =
        builder().model(echo("m", "1")).model(echo("m", "2"))
            .route(RouteConfig.builder("canary").canary(RouteConfig.Canary.of("m@1", "m@2", 50)).build())
            .route(RouteConfig.builder("prod").target("m@1").build()).build();
    manager.rollback("canary").get(10, TimeUnit.SECONDS);

    manager.switchTarget("prod", "m@2").get(10, TimeUnit.SECONDS);

    assertThat(manager.routes()).extracting(RouteStatus::name).containsExactly("canary", "prod");
    assertThat(manager.routes().get(0).canaryStatus().orElseThrow().state()).isEqualTo(RouteStatus.CanaryStatus.State.ROLLED_BACK);
    assertThat(manager.routes().get(0).targets()).containsExactly("m@1", "m@2");
    assertThat(count("canary", 100, null)).containsOnlyKeys(new ModelRef("m", "1"));
    assertThat(manager.generate(GenerateRequest.of("prod", "hi")).model()).isEqualTo(new ModelRef("m", "2"));
  }

  @Test
  void should_fail_an_untagged_task_clearly_when_the_default_is_a_route_that_leads_back() {
    manager =
        builder().model(echo("m", "1"))
            .route(RouteConfig.builder("auto").auto(RouteConfig.Preference.LATENCY).build())
            .route(RouteConfig.builder("front").target("auto").build())
            .defaultModel("front").build();

    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("Summarize this: it rained.")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("route 'auto' found the task 'summarization'")
        .hasMessageContaining("the default is no model");
  }

  @Test
  void should_report_a_shadow_that_is_not_registered_without_touching_the_caller() {
    manager =
        builder().model(echo("m", "1")).model(echo("s", "1"))
            .route(RouteConfig.builder("r").target("m@1").shadow(new RouteConfig.Shadow("s", 100, 4)).build()).build();
    manager.unregister("s");

    assertThat(manager.generate(GenerateRequest.of("r", "hi")).model()).isEqualTo(new ModelRef("m", "1"));

    MemorySchedulerTest.awaitUntil(() -> !shadows.isEmpty());
    assertThat(shadows.get(0).failure()).hasValueSatisfying(e -> assertThat(e)
        .isInstanceOf(UnknownModelException.class)
        .hasMessageContaining("the shadow 's' of route 'r' is not registered now"));
    assertThat(manager.model("m").orElseThrow().requests()).isEqualTo(1); // the copy did not come back here
  }

  @Test
  void should_warn_of_no_configured_section_now_that_all_are_live() {
    String log = StandardError.capture(() -> {
      ModelMuxConfig config =
          ModelMuxConfig.parse(
              "models:\n  - {id: a, type: echo, max_concurrency: 2, price: {input: 1, output: 2}}\n  - {id: b, type: echo}\n"
                  + "routes:\n  - {name: r, target: a, fallbacks: [b]}\ncache: {max_entries: 10, ttl: 1m}\n",
              "models.yaml", n -> null);
      manager = builder().config(config).build();
    });

    assertThat(log).as("max_concurrency, fallbacks, price and the cache are all live")
        .doesNotContain("not live").doesNotContain("max_concurrency").doesNotContain("fallbacks").doesNotContain("cache")
        .doesNotContain("price");
  }

  static List<String> names(List<RouteStatus> routes) {
    List<String> out = new ArrayList<>();
    routes.forEach(r -> out.add(r.name()));
    return out;
  }
}
