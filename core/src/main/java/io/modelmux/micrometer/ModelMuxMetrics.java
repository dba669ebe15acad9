package io.modelmux.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.modelmux.Attempt;
import io.modelmux.GenerateResponse;
import io.modelmux.GuardStats;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.MultiModelManager;
import io.modelmux.PoolStatus;
import io.modelmux.RequestInfo;
import io.modelmux.RequestListener;
import io.modelmux.UnknownModelException;
import io.modelmux.Usage;
import io.modelmux.internal.DefaultMultiModelManager;
import io.modelmux.internal.ModelObserver;
import io.modelmux.internal.observe.RouteMeters;
import io.modelmux.internal.registry.RegisteredModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Binds a {@link MultiModelManager}'s figures to a Micrometer {@link MeterRegistry}, named after
 * the OpenTelemetry GenAI semantic conventions where they have a name, under {@code modelmux.*}
 * where they have none.
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * new ModelMuxMetrics(models).bindTo(registry);
 * }</pre>
 *
 * <p>Per request (the caller's; shadow copies count in {@code modelmux.shadow.requests}):
 * <ul>
 *   <li>{@code gen_ai.client.operation.duration} (seconds; the conventions' buckets 0.01 … 81.92)
 *   <li>{@code gen_ai.client.token.usage} ({@code gen_ai.token.type} = {@code input} | {@code
 *       output}; buckets 1 … 67108864), when the answer carries usage
 *   <li>{@code gen_ai.client.operation.time_to_first_chunk} (seconds) for streams
 *   <li>{@code gen_ai.server.time_to_first_token} and {@code gen_ai.server.time_per_output_token}
 *       (seconds, the conventions' buckets) for models that run in this process
 * </ul>
 * with {@code gen_ai.operation.name} ({@code chat} for messages, {@code text_completion} for a
 * prompt), {@code gen_ai.provider.name} ({@code openai}, {@code gcp.gemini}, else the model's
 * type such as {@code djl}), {@code gen_ai.request.model} (the name the request gave — id,
 * {@code id@version}, alias or route —, {@code default} when it gave none, {@code _OTHER} when
 * it named nothing registered), {@code gen_ai.response.model} (the registered id that answered;
 * the name a backend reports is on the response, not a tag, so that a backend cannot grow the
 * series), {@code modelmux.model.version}, and {@code error.type} (the failure's class name, or
 * {@code none}: every series of a name has the same keys, as Prometheus requires). Tag values
 * come from the registry's names and a fixed family of classes: never a prompt or a key.
 *
 * <p>Per model (tags {@code model}, {@code version}): {@code modelmux.requests.in_flight},
 * {@code modelmux.requests.queued}, {@code modelmux.attempts} (by {@code outcome} and {@code
 * error.type}), {@code modelmux.retries}, {@code modelmux.fallbacks}, {@code
 * modelmux.circuit.state} (0 closed, 1 half-open, 2 open; absent without a breaker), {@code
 * modelmux.model.loads}, {@code modelmux.model.evictions}, {@code modelmux.model.memory}
 * (bytes), {@code modelmux.cache.requests} ({@code result} = {@code hit} | {@code miss}), {@code
 * modelmux.cost} (in the prices' currency, for a model with a price). Per
 * pool: {@code modelmux.memory.budget} and {@code modelmux.memory.used} (bytes). Per route (tag
 * {@code route}): {@code modelmux.route.requests}, {@code .failures}, {@code .cost}. And {@code
 * modelmux.listener.events.dropped}. A model's meters are removed when it is unregistered; one
 * registered later gets its own.
 *
 * <p>Recording runs on the request's thread; each meter is found in the registry once per set of
 * tags and kept, so a request allocates only its small keys; it never throws into the request. {@link #close()} detaches it and removes its meters.
 * Thread-safe.
 */
public final class ModelMuxMetrics implements MeterBinder, AutoCloseable {
  static final double[] DURATION_BUCKETS = {
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92
  };
  static final double[] TOKEN_BUCKETS = {
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864
  };
  static final double[] TTFT_BUCKETS = {
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0
  };
  static final double[] TPOT_BUCKETS = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5};
  private static final Duration[] DURATION_SLO = seconds(DURATION_BUCKETS);
  private static final Duration[] TTFT_SLO = seconds(TTFT_BUCKETS);
  private static final Duration[] TPOT_SLO = seconds(TPOT_BUCKETS);

  private final DefaultMultiModelManager manager;
  private final Map<RegisteredModel, List<Meter>> perModel = new ConcurrentHashMap<>();
  private final Map<ModelRef, RegisteredModel> byRef = new ConcurrentHashMap<>();
  private final List<Meter> shared = new ArrayList<>();
  private final Observer observer = new Observer();
  /**
   * The meters a request records into, by what tags them: found once, then reused, rather than
   * built and looked up in the registry on every request (a builder, tags sorted, a map lookup
   * per meter). Bounded by the registered names and a fixed family of outcomes; a model's
   * attempt counters go when it is unregistered, as they go from the registry.
   */
  private final Map<ResponseKey, ResponseMeters> responseMeters = new ConcurrentHashMap<>();
  private final Map<AttemptKey, Counter> attemptCounters = new ConcurrentHashMap<>();
  private volatile @Nullable MeterRegistry registry;

  /**
   * @param manager the manager to measure; one built by {@link MultiModelManager#builder()}
   * @throws IllegalArgumentException for another implementation of the interface
   */
  public ModelMuxMetrics(MultiModelManager manager) {
    if (!(manager instanceof DefaultMultiModelManager)) {
      throw new IllegalArgumentException(
          "ModelMuxMetrics measures a manager built by MultiModelManager.builder(), not a " + manager.getClass().getName());
    }
    this.manager = (DefaultMultiModelManager) manager;
  }

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    if (this.registry != null) {
      throw new IllegalStateException("already bound to a registry; make one ModelMuxMetrics per registry");
    }
    this.registry = registry;
    for (PoolStatus p : manager.pools()) {
      Tags tags = Tags.of("pool", p.name());
      String pool = p.name();
      shared.add(Gauge.builder("modelmux.memory.budget", manager, m -> poolFigure(m, pool, true))
          .tags(tags).baseUnit("bytes").description("The memory pool's budget").register(registry));
      shared.add(Gauge.builder("modelmux.memory.used", manager, m -> poolFigure(m, pool, false))
          .tags(tags).baseUnit("bytes").description("Bytes the pool's resident models are charged").register(registry));
    }
    manager.routeMeters().forEach((name, route) -> {
      Tags tags = Tags.of("route", name);
      shared.add(FunctionCounter.builder("modelmux.route.requests", route, RouteMeters::requests)
          .tags(tags).description("The caller's requests the route planned, answered or failed").register(registry));
      shared.add(FunctionCounter.builder("modelmux.route.failures", route, RouteMeters::failures)
          .tags(tags).description("The route's requests that failed").register(registry));
      shared.add(FunctionCounter.builder("modelmux.route.cost", route, RouteMeters::cost)
          .tags(tags).description("What the route's requests cost").register(registry));
    });
    shared.add(FunctionCounter.builder("modelmux.listener.events.dropped", manager, m -> m.requestEvents().dropped())
        .description("Events request listeners missed: their queue was full").register(registry));
    for (RegisteredModel m : manager.observeModels(observer)) {
      observer.registered(m);
    }
    manager.requestEvents().addInPlace(observer);
  }

  /** Stops recording and removes every meter this binder registered. */
  @Override
  public synchronized void close() {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    manager.requestEvents().removeInPlace(observer);
    manager.stopObservingModels(observer);
    for (RegisteredModel m : List.copyOf(perModel.keySet())) {
      observer.removed(m);
    }
    shared.forEach(r::remove);
    shared.clear();
  }

  private static double poolFigure(DefaultMultiModelManager m, String pool, boolean budget) {
    for (PoolStatus p : m.scheduler().pools()) {
      if (p.name().equals(pool)) {
        return budget ? p.budgetBytes() : p.usedBytes();
      }
    }
    return Double.NaN;
  }

  /** The value of {@code gen_ai.provider.name} for a model of {@code type}. */
  static String provider(String type) {
    switch (type) {
      case "openai":
        return "openai";
      case "gemini":
        return "gcp.gemini";
      default:
        return type;
    }
  }

  private final class Observer implements RequestListener, ModelObserver {
    @Override
    public void registered(RegisteredModel m) {
      MeterRegistry r = registry;
      if (r == null) {
        return;
      }
      perModel.computeIfAbsent(m, k -> modelMeters(r, k));
      byRef.put(m.ref, m);
    }

    @Override
    public void removed(RegisteredModel m) {
      List<Meter> meters = perModel.remove(m);
      byRef.remove(m.ref, m);
      MeterRegistry r = registry;
      if (meters != null && r != null) {
        meters.forEach(r::remove);
      }
      attemptCounters.keySet().removeIf(k -> k.model().equals(m.ref));
      if (r != null) {
        for (Meter meter : r.find("modelmux.attempts").tags("model", m.ref.id(), "version", m.ref.version()).meters()) {
          r.remove(meter);
        }
      }
    }

    @Override
    public void onAttempt(RequestInfo request, Attempt attempt) {
      MeterRegistry r = registry;
      if (r == null || request.shadow()) {
        return;
      }
      AttemptKey key = new AttemptKey(attempt.model(), attempt.outcome(), attempt.errorType().orElse("none"));
      Counter counter = attemptCounters.get(key);
      if (counter == null) {
        counter = attemptCounters.computeIfAbsent(key, k -> Counter.builder("modelmux.attempts")
            .tags("model", k.model().id(), "version", k.model().version(),
                "outcome", k.outcome().name().toLowerCase(java.util.Locale.ROOT),
                "error.type", k.errorType())
            .description("Attempts on a model, by how they ended")
            .register(r));
      }
      counter.increment();
    }

    @Override
    public void onResponse(RequestInfo request, GenerateResponse response) {
      MeterRegistry r = registry;
      if (r == null) {
        return;
      }
      if (request.shadow()) {
        shadow(r, "none");
        return;
      }
      RegisteredModel served = byRef.get(response.model());
      String provider = served == null ? "none" : provider(served.spec.type());
      ResponseKey key = new ResponseKey(operation(request), provider, requested(request, null), response.model());
      ResponseMeters meters = responseMeters.get(key);
      if (meters == null) {
        meters = responseMeters.computeIfAbsent(key, k -> new ResponseMeters(r, k));
      }
      meters.duration.record(response.latency());
      Usage usage = response.usage().orElse(null);
      if (usage != null) {
        meters.input.record(usage.promptTokens());
        meters.output.record(usage.completionTokens());
      }
      Duration ttft = response.timeToFirstToken().orElse(null);
      if (ttft != null && request.stream()) {
        meters.timeToFirstChunk().record(ttft);
      }
      if (ttft != null && served != null && inProcess(served)) {
        meters.timeToFirstToken().record(ttft);
        if (usage != null && usage.completionTokens() > 1) {
          long after = response.latency().toNanos() - ttft.toNanos();
          if (after >= 0) {
            meters.timePerOutputToken().record(after / (usage.completionTokens() - 1), TimeUnit.NANOSECONDS);
          }
        }
      }
    }

    @Override
    public void onError(RequestInfo request, ModelMuxException error) {
      MeterRegistry r = registry;
      if (r == null) {
        return;
      }
      String type = error.getClass().getName();
      if (request.shadow()) {
        shadow(r, type);
        return;
      }
      RegisteredModel tried = error.modelId().map(id -> find(id)).orElse(null);
      Tags tags = Tags.of(
          "gen_ai.operation.name", operation(request),
          "gen_ai.provider.name", tried == null ? "none" : provider(tried.spec.type()),
          "gen_ai.request.model", requested(request, error),
          "gen_ai.response.model", "none",
          "modelmux.model.version", "none",
          "error.type", type);
      duration(r, tags, request.elapsed());
    }

    private @Nullable RegisteredModel find(String id) {
      for (RegisteredModel m : byRef.values()) {
        if (m.ref.id().equals(id)) {
          return m;
        }
      }
      return null;
    }

    private void shadow(MeterRegistry r, String errorType) {
      Counter.builder("modelmux.shadow.requests")
          .description("Copies of requests a route's shadow sent, by how they ended")
          .tags("error.type", errorType).register(r).increment();
    }

    private List<Meter> modelMeters(MeterRegistry r, RegisteredModel m) {
      Tags tags = Tags.of("model", m.ref.id(), "version", m.ref.version());
      List<Meter> meters = new ArrayList<>();
      meters.add(Gauge.builder("modelmux.requests.in_flight", m, x -> x.residency.inFlight())
          .tags(tags).description("Requests the model is serving now").register(r));
      meters.add(Gauge.builder("modelmux.requests.queued", m, x -> x.guard.stats().queued())
          .tags(tags).description("Requests waiting for a slot of the model's concurrency limit").register(r));
      meters.add(FunctionCounter.builder("modelmux.retries", m, x -> x.guard.stats().retries())
          .tags(tags).description("Retries made on the model").register(r));
      meters.add(FunctionCounter.builder("modelmux.fallbacks", m, x -> x.meters.fallbacks())
          .tags(tags).description("Requests that left the model for another").register(r));
      if (m.guard.stats().circuit() != GuardStats.CircuitState.DISABLED) {
        meters.add(Gauge.builder("modelmux.circuit.state", m, x -> circuit(x.guard.stats().circuit()))
            .tags(tags).description("The model's circuit: 0 closed, 1 half-open, 2 open").register(r));
      }
      meters.add(FunctionCounter.builder("modelmux.model.loads", m, x -> x.residency.loads())
          .tags(tags).description("Times the model was loaded").register(r));
      meters.add(FunctionCounter.builder("modelmux.model.evictions", m, x -> x.residency.evictions())
          .tags(tags).description("Times the model was evicted to make room").register(r));
      meters.add(Gauge.builder("modelmux.model.memory", m, x -> x.residency.charged().values().stream().mapToLong(Long::longValue).sum())
          .tags(tags).baseUnit("bytes").description("Bytes the model is charged in memory pools now").register(r));
      if (m.prices != null) {
        meters.add(FunctionCounter.builder("modelmux.cost", m, x -> x.meters.cost())
            .tags(tags).description("What the caller's requests it answered cost, from its price").register(r));
      }
      meters.add(FunctionCounter.builder("modelmux.cache.requests", m, x -> x.meters.cacheHits())
          .tags(tags.and("result", "hit")).description("Cacheable requests, by whether the cache answered").register(r));
      meters.add(FunctionCounter.builder("modelmux.cache.requests", m, x -> x.meters.cacheMisses())
          .tags(tags.and("result", "miss")).description("Cacheable requests, by whether the cache answered").register(r));
      return meters;
    }
  }

  private static double circuit(GuardStats.CircuitState s) {
    switch (s) {
      case CLOSED:
        return 0;
      case HALF_OPEN:
        return 1;
      case OPEN:
        return 2;
      default:
        return Double.NaN;
    }
  }

  private static boolean inProcess(RegisteredModel m) {
    try {
      return m.adapter.local();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** What a successful request's GenAI meters are tagged with. */
  private record ResponseKey(String operation, String provider, String requested, ModelRef model) {
    Tags tags() {
      return Tags.of(
          "gen_ai.operation.name", operation,
          "gen_ai.provider.name", provider,
          "gen_ai.request.model", requested,
          "gen_ai.response.model", model.id(),
          "modelmux.model.version", model.version());
    }
  }

  /** What an attempt counter is tagged with. */
  private record AttemptKey(ModelRef model, Attempt.Outcome outcome, String errorType) {}

  /** The GenAI meters of one {@link ResponseKey}; the rarer ones made on first use. */
  private static final class ResponseMeters {
    private final MeterRegistry registry;
    private final Tags tags;
    final Timer duration;
    final DistributionSummary input;
    final DistributionSummary output;
    private volatile @Nullable Timer timeToFirstChunk;
    private volatile @Nullable Timer timeToFirstToken;
    private volatile @Nullable Timer timePerOutputToken;

    ResponseMeters(MeterRegistry registry, ResponseKey key) {
      this.registry = registry;
      this.tags = key.tags();
      this.duration = durationTimer(registry, tags.and("error.type", "none"));
      this.input = tokenSummary(registry, tags, "input");
      this.output = tokenSummary(registry, tags, "output");
    }

    // a race may register one of these twice: the registry returns the same meter both times
    Timer timeToFirstChunk() {
      Timer t = timeToFirstChunk;
      return t != null ? t : (timeToFirstChunk = timer("gen_ai.client.operation.time_to_first_chunk",
          "Time to receive the first chunk of a streamed answer", DURATION_SLO));
    }

    Timer timeToFirstToken() {
      Timer t = timeToFirstToken;
      return t != null ? t : (timeToFirstToken = timer("gen_ai.server.time_to_first_token",
          "Time to generate the first token, in this process", TTFT_SLO));
    }

    Timer timePerOutputToken() {
      Timer t = timePerOutputToken;
      return t != null ? t : (timePerOutputToken = timer("gen_ai.server.time_per_output_token",
          "Time per output token after the first, in this process", TPOT_SLO));
    }

    private Timer timer(String name, String description, Duration[] buckets) {
      return Timer.builder(name).description(description).serviceLevelObjectives(buckets).tags(tags).register(registry);
    }
  }

  private static String operation(RequestInfo request) {
    return request.request().isChat() ? "chat" : "text_completion";
  }

  /** The value of {@code gen_ai.request.model}: bounded by the names registered. */
  private static String requested(RequestInfo request, @Nullable ModelMuxException error) {
    String name = request.request().model().orElse(null);
    if (name == null) {
      return "default";
    }
    return error instanceof UnknownModelException ? "_OTHER" : name;
  }

  private static void duration(MeterRegistry r, Tags tags, Duration d) {
    durationTimer(r, tags).record(d);
  }

  private static Timer durationTimer(MeterRegistry r, Tags tags) {
    return Timer.builder("gen_ai.client.operation.duration")
        .description("GenAI operation duration")
        .serviceLevelObjectives(DURATION_SLO)
        .tags(tags)
        .register(r);
  }

  private static DistributionSummary tokenSummary(MeterRegistry r, Tags tags, String type) {
    return DistributionSummary.builder("gen_ai.client.token.usage")
        .description("Number of input and output tokens used")
        .serviceLevelObjectives(TOKEN_BUCKETS)
        .tags(tags.and("gen_ai.token.type", type))
        .register(r);
  }

  private static Duration[] seconds(double[] buckets) {
    Duration[] d = new Duration[buckets.length];
    for (int i = 0; i < buckets.length; i++) {
      d[i] = Duration.ofNanos(Math.round(buckets[i] * 1e9));
    }
    return d;
  }
}
