package io.modelmux.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelmux.BackendException;
import io.modelmux.BreakerPolicy;
import io.modelmux.ChatMessage;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.MultiModelManager;
import io.modelmux.RetryPolicy;
import io.modelmux.RouteConfig;
import io.modelmux.UnknownModelException;
import io.modelmux.Usage;
import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.ScriptedModelFactory;
import io.modelmux.testing.Threads;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Micrometer binder: the OpenTelemetry GenAI names, units, buckets and attributes, ModelMux's
 * own figures under {@code modelmux.*}, bounded tag values, meters that follow registrations, and
 * a real Prometheus scrape over HTTP whose text is parsed.
 */
class ModelMuxMetricsTest {
  private static final String SECRET = "sk-test-0123456789abcdef";
  private static final String PROMPT = "the secret plan is in the drawer";

  private final ScriptedModelFactory backends = new ScriptedModelFactory();
  private MultiModelManager manager;
  private HttpServer server;

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
    if (server != null) {
      server.stop(0);
    }
  }

  private MultiModelManager build(RouteConfig... routes) {
    backends.on("remote", (call, request, sink) -> answer(sink, 12, 7));
    backends.on("local", (call, request, sink) -> answer(sink, 3, 5));
    backends.on("broken", (call, request, sink) -> {
      throw new BackendException("503 from broken", "broken", true, 503, null, null, null);
    });
    backends.inProcess("local");
    MultiModelManager.Builder b = MultiModelManager.builder().environment(n -> null).factory(backends)
        .model(spec("remote").option("api_key", SECRET).build())
        .model(spec("local").version("2").build())
        .model(spec("broken").circuitBreaker(BreakerPolicy.disabled()).build());
    for (RouteConfig r : routes) {
      b.route(r);
    }
    return b.build();
  }

  private static ModelSpec.Builder spec(String id) {
    return ModelSpec.builder(id, "scripted").retry(RetryPolicy.builder().maxAttempts(1).build());
  }

  private static Completion answer(io.modelmux.spi.TokenSink sink, long in, long out) {
    try {
      Thread.sleep(15);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (sink != null) {
      sink.accept("he");
      sink.accept("llo");
    }
    return Completion.builder().text("hello").finishReason(FinishReason.STOP).usage(new Usage(in, out))
        .timeToFirstToken(Duration.ofMillis(5)).build();
  }

  @Test
  void should_record_the_genai_operation_duration_with_the_conventions_buckets_and_attributes() {
    manager = build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new ModelMuxMetrics(manager).bindTo(registry);

    manager.generate(GenerateRequest.of("remote", PROMPT));
    manager.generate(GenerateRequest.builder().model("remote").message(ChatMessage.user(PROMPT)).build());
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("broken", PROMPT))).isInstanceOf(BackendException.class);

    Timer completion = registry.get("gen_ai.client.operation.duration")
        .tags("gen_ai.operation.name", "text_completion", "gen_ai.provider.name", "scripted",
            "gen_ai.request.model", "remote", "gen_ai.response.model", "remote", "modelmux.model.version", "latest",
            "error.type", "none")
        .timer();
    assertThat(completion.count()).isEqualTo(1);
    assertThat(completion.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(15);
    assertThat(bucketsInSeconds(completion)).containsExactly(ModelMuxMetrics.DURATION_BUCKETS);
    assertThat(registry.get("gen_ai.client.operation.duration").tags("gen_ai.operation.name", "chat").timer().count()).isEqualTo(1);
    Timer failed = registry.get("gen_ai.client.operation.duration")
        .tags("error.type", "io.modelmux.BackendException", "gen_ai.request.model", "broken", "gen_ai.response.model", "none")
        .timer();
    assertThat(failed.count()).isEqualTo(1);
    for (Meter m : registry.find("gen_ai.client.operation.duration").meters()) {
      assertThat(m.getId().getTags()).extracting(t -> t.getKey()).containsExactlyInAnyOrder(
          "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
          "modelmux.model.version", "error.type");
    }
  }

  @Test
  void should_record_token_usage_by_type_with_the_conventions_buckets() {
    manager = build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new ModelMuxMetrics(manager).bindTo(registry);

    manager.generate(GenerateRequest.of("remote", PROMPT));
    manager.generate(GenerateRequest.of("remote", PROMPT));

    DistributionSummary input = registry.get("gen_ai.client.token.usage").tags("gen_ai.token.type", "input").summary();
    DistributionSummary output = registry.get("gen_ai.client.token.usage").tags("gen_ai.token.type", "output").summary();
    assertThat(input.count()).isEqualTo(2);
    assertThat(input.totalAmount()).isEqualTo(24);
    assertThat(output.totalAmount()).isEqualTo(14);
    assertThat(Arrays.stream(input.takeSnapshot().histogramCounts()).mapToDouble(CountAtBucket::bucket).toArray())
        .containsExactly(ModelMuxMetrics.TOKEN_BUCKETS);
  }

  @Test
  void should_record_time_to_first_chunk_for_streams_and_server_times_for_local_models_only() throws Exception {
    manager = build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new ModelMuxMetrics(manager).bindTo(registry);

    manager.generate(GenerateRequest.of("remote", PROMPT));
    for (String piece : manager.stream(GenerateRequest.of("remote", PROMPT))) {
      assertThat(piece).isNotEmpty();
    }
    manager.generate(GenerateRequest.of("local", PROMPT));

    Timer chunk = registry.get("gen_ai.client.operation.time_to_first_chunk").timer();
    assertThat(chunk.count()).as("the stream only").isEqualTo(1);
    assertThat(bucketsInSeconds(chunk)).containsExactly(ModelMuxMetrics.DURATION_BUCKETS);
    Timer ttft = registry.get("gen_ai.server.time_to_first_token").timer();
    assertThat(ttft.count()).as("the local model only").isEqualTo(1);
    assertThat(ttft.getId().getTag("gen_ai.response.model")).isEqualTo("local");
    assertThat(ttft.getId().getTag("modelmux.model.version")).isEqualTo("2");
    assertThat(bucketsInSeconds(ttft)).containsExactly(ModelMuxMetrics.TTFT_BUCKETS);
    Timer tpot = registry.get("gen_ai.server.time_per_output_token").timer();
    assertThat(tpot.count()).isEqualTo(1);
    assertThat(bucketsInSeconds(tpot)).containsExactly(ModelMuxMetrics.TPOT_BUCKETS);
    // (latency - 5 ms) over the 4 tokens after the first
    assertThat(tpot.totalTime(TimeUnit.MILLISECONDS)).isGreaterThan(2);
  }

  @Test
  void should_keep_tag_values_bounded_an_unknown_name_is_OTHER() {
    manager = build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new ModelMuxMetrics(manager).bindTo(registry);

    for (int i = 0; i < 50; i++) {
      String name = "no-such-model-" + i;
      assertThatThrownBy(() -> manager.generate(GenerateRequest.of(name, PROMPT))).isInstanceOf(UnknownModelException.class);
    }
    manager.generate(GenerateRequest.of("remote", PROMPT));

    Timer unknown = registry.get("gen_ai.client.operation.duration").tags("gen_ai.request.model", "_OTHER").timer();
    assertThat(unknown.count()).isEqualTo(50);
    assertThat(unknown.getId().getTag("error.type")).isEqualTo("io.modelmux.UnknownModelException");
    assertThat(registry.find("gen_ai.client.operation.duration").meters()).hasSize(2);
  }

  @Test
  void should_bind_modelmux_figures_per_model_and_follow_registrations() {
    manager = build(RouteConfig.builder("chat").target("broken").fallbacks(List.of("remote")).build());
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ModelMuxMetrics metrics = new ModelMuxMetrics(manager);
    metrics.bindTo(registry);

    manager.generate(GenerateRequest.of("chat", PROMPT));

    assertThat(registry.get("modelmux.model.loads").tags("model", "remote").functionCounter().count()).isEqualTo(1);
    assertThat(registry.get("modelmux.fallbacks").tags("model", "broken").functionCounter().count()).isEqualTo(1);
    assertThat(registry.get("modelmux.attempts").tags("model", "broken", "outcome", "failed", "error.type", "BackendException")
        .counter().count()).isEqualTo(1);
    assertThat(registry.get("modelmux.attempts").tags("model", "remote", "outcome", "succeeded").counter().count()).isEqualTo(1);
    assertThat(registry.get("modelmux.requests.in_flight").tags("model", "remote").gauge().value()).isZero();
    assertThat(registry.get("modelmux.circuit.state").tags("model", "remote").gauge().value()).isZero();
    assertThat(registry.find("modelmux.circuit.state").tags("model", "broken").gauge()).as("no breaker, no state").isNull();
    assertThat(registry.get("modelmux.memory.budget").gauge().value()).isPositive();
    assertThat(registry.get("modelmux.cache.requests").tags("model", "remote", "result", "hit").functionCounter().count()).isZero();
    assertThat(registry.get("modelmux.route.requests").tags("route", "chat").functionCounter().count()).isEqualTo(1);
    assertThat(registry.get("modelmux.route.failures").tags("route", "chat").functionCounter().count()).isZero();

    manager.unregister("remote");
    assertThat(registry.find("modelmux.model.loads").tags("model", "remote").meters()).isEmpty();
    assertThat(registry.find("modelmux.attempts").tags("model", "remote").meters()).isEmpty();

    manager.register(spec("remote").build());
    manager.generate(GenerateRequest.of("remote", PROMPT));
    assertThat(registry.get("modelmux.model.loads").tags("model", "remote").functionCounter().count())
        .as("the new registration's own count").isEqualTo(1);
    assertThat(registry.get("modelmux.attempts").tags("model", "remote", "outcome", "succeeded").counter().count())
        .as("a counter in the registry again, not the removed one kept aside").isEqualTo(1);
    manager.generate(GenerateRequest.of("remote", PROMPT + " again"));
    assertThat(registry.get("modelmux.attempts").tags("model", "remote", "outcome", "succeeded").counter().count()).isEqualTo(2);
    assertThat(registry.get("gen_ai.client.operation.duration").tags("gen_ai.request.model", "remote").timer().count())
        .as("both requests that named remote, in one timer (the first request named the route)").isEqualTo(2);

    metrics.close();
    assertThat(registry.find("modelmux.model.loads").meters()).isEmpty();
    long before = registry.get("gen_ai.client.operation.duration").tags("gen_ai.request.model", "remote").timer().count();
    manager.generate(GenerateRequest.of("remote", PROMPT));
    assertThat(registry.get("gen_ai.client.operation.duration").tags("gen_ai.request.model", "remote").timer().count())
        .as("closed: nothing more recorded").isEqualTo(before);
  }

  @Test
  void should_bind_the_cost_of_a_priced_model() {
    manager = build();
    manager.register(spec("priced").prices(new io.modelmux.spi.Prices(1_000_000, 2_000_000)).build());
    backends.on("priced", (call, request, sink) -> answer(sink, 2, 3));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new ModelMuxMetrics(manager).bindTo(registry);

    manager.generate(GenerateRequest.of("priced", PROMPT));

    assertThat(registry.get("modelmux.cost").tags("model", "priced").functionCounter().count()).isEqualTo(8);
    assertThat(registry.find("modelmux.cost").tags("model", "remote").meters()).as("no price, no cost meter").isEmpty();
  }

  @Test
  void should_count_shadow_copies_apart() throws Exception {
    manager = build(RouteConfig.builder("chat").target("remote").shadow(new RouteConfig.Shadow("local", 100, 4)).build());
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new ModelMuxMetrics(manager).bindTo(registry);

    manager.generate(GenerateRequest.of("chat", PROMPT));

    io.modelmux.testing.Await.until(
        () -> registry.find("modelmux.shadow.requests").counter() != null
            && registry.find("modelmux.shadow.requests").counter().count() == 1, "the shadow copy counted");
    assertThat(registry.find("gen_ai.client.operation.duration").tags("gen_ai.response.model", "local").meters()).isEmpty();
  }

  @Test
  void should_count_every_request_of_16_threads() throws Exception {
    manager = build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new ModelMuxMetrics(manager).bindTo(registry);
    Threads.concurrently(16, t -> {
      return () -> {
        for (int i = 0; i < 20; i++) {
          manager.generate(GenerateRequest.of("remote", PROMPT));
        }
        return null;
      };
    });
    assertThat(registry.get("gen_ai.client.operation.duration").timer().count()).isEqualTo(320);
    assertThat(registry.get("gen_ai.client.token.usage").tags("gen_ai.token.type", "output").summary().totalAmount())
        .isEqualTo(320 * 7);
  }

  @Test
  void should_refuse_a_second_registry_and_a_foreign_manager() {
    manager = build();
    ModelMuxMetrics metrics = new ModelMuxMetrics(manager);
    metrics.bindTo(new SimpleMeterRegistry());

    assertThatThrownBy(() -> metrics.bindTo(new SimpleMeterRegistry())).isInstanceOf(IllegalStateException.class);
    MultiModelManager foreign = (MultiModelManager) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {MultiModelManager.class}, (p, m, a) -> null);
    assertThatThrownBy(() -> new ModelMuxMetrics(foreign)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("MultiModelManager.builder()");
  }

  // ---- a real Prometheus scrape ---------------------------------------------------------------

  @Test
  void should_serve_a_prometheus_scrape_that_follows_the_conventions_and_leaks_nothing() throws Exception {
    manager = build();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ModelMuxMetrics(manager).bindTo(registry);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/metrics", exchange -> {
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();

    manager.generate(GenerateRequest.of("remote", PROMPT));
    manager.generate(GenerateRequest.of("local", PROMPT));
    for (String piece : manager.stream(GenerateRequest.of("remote", PROMPT))) {
      assertThat(piece).isNotEmpty();
    }
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("broken", PROMPT))).isInstanceOf(BackendException.class);
    assertThatThrownBy(() -> manager.generate(GenerateRequest.of("nope", PROMPT))).isInstanceOf(UnknownModelException.class);

    HttpResponse<String> scrape = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(scrape.statusCode()).isEqualTo(200);
    List<Sample> samples = parse(scrape.body());

    List<Sample> buckets = named(samples, "gen_ai_client_operation_duration_seconds_bucket");
    Sample first = buckets.stream().filter(s -> "remote".equals(s.labels.get("gen_ai_request_model"))
        && "text_completion".equals(s.labels.get("gen_ai_operation_name"))).findFirst().orElseThrow();
    assertThat(first.labels).containsKeys("gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model",
        "gen_ai_response_model", "error_type", "le");
    List<String> les = buckets.stream().filter(s -> sameSeries(s, first)).map(s -> s.labels.get("le")).toList();
    List<String> expected = new ArrayList<>();
    for (double b : ModelMuxMetrics.DURATION_BUCKETS) {
      expected.add(Double.toString(b));
    }
    expected.add("+Inf");
    assertThat(les).containsExactlyElementsOf(expected);
    assertThat(buckets.stream().filter(s -> sameSeries(s, first) && s.labels.get("le").equals("+Inf")).findFirst()
        .orElseThrow().value).isEqualTo(2); // the completion and the stream
    assertThat(named(samples, "gen_ai_client_operation_duration_seconds_count"))
        .anySatisfy(s -> {
          assertThat(s.labels.get("error_type")).isEqualTo("io.modelmux.BackendException");
          assertThat(s.value).isEqualTo(1);
        })
        .anySatisfy(s -> assertThat(s.labels.get("gen_ai_request_model")).isEqualTo("_OTHER"));
    assertThat(named(samples, "gen_ai_client_token_usage_bucket"))
        .anySatisfy(s -> assertThat(s.labels.get("gen_ai_token_type")).isEqualTo("input"))
        .anySatisfy(s -> assertThat(s.labels.get("gen_ai_token_type")).isEqualTo("output"));
    assertThat(named(samples, "gen_ai_client_operation_time_to_first_chunk_seconds_count")).singleElement()
        .satisfies(s -> assertThat(s.value).isEqualTo(1));
    assertThat(named(samples, "gen_ai_server_time_to_first_token_seconds_count")).singleElement()
        .satisfies(s -> assertThat(s.labels.get("gen_ai_response_model")).isEqualTo("local"));
    assertThat(named(samples, "modelmux_model_loads_total")).hasSize(3);
    assertThat(named(samples, "modelmux_model_memory_bytes")).hasSize(3);
    assertThat(named(samples, "modelmux_attempts_total")).isNotEmpty();
    assertThat(scrape.body()).doesNotContain(SECRET).doesNotContain("secret plan").doesNotContain("drawer");
  }

  /** One sample line of the Prometheus text format. */
  record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  static List<Sample> parse(String text) {
    List<Sample> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      assertThat(m.matches()).as("a sample line: %s", line).isTrue();
      Map<String, String> labels = new HashMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      out.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
    }
    return out;
  }

  private static List<Sample> named(List<Sample> samples, String name) {
    return samples.stream().filter(s -> s.name.equals(name)).toList();
  }

  private static boolean sameSeries(Sample a, Sample b) {
    Map<String, String> x = new HashMap<>(a.labels);
    Map<String, String> y = new HashMap<>(b.labels);
    x.remove("le");
    y.remove("le");
    return x.equals(y);
  }

  private static double[] bucketsInSeconds(Timer timer) {
    return Arrays.stream(timer.takeSnapshot().histogramCounts()).mapToDouble(c -> c.bucket(TimeUnit.SECONDS)).toArray();
  }
}
