package io.modelmux.internal;

import io.modelmux.BenchmarkConfig;
import io.modelmux.BenchmarkRound;
import io.modelmux.ConfigException;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.GuardStats;
import io.modelmux.InvalidRequestException;
import io.modelmux.ManagerMetrics;
import io.modelmux.MemoryStats;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.ModelStatus;
import io.modelmux.MultiModelManager;
import io.modelmux.OverloadedException;
import io.modelmux.PoolStatus;
import io.modelmux.RequestStats;
import io.modelmux.RouteConfig;
import io.modelmux.RouteEvent;
import io.modelmux.RouteMetrics;
import io.modelmux.RouteStatus;
import io.modelmux.StreamHandle;
import io.modelmux.StreamListener;
import io.modelmux.TokenStream;
import io.modelmux.UnknownModelException;
import io.modelmux.internal.cache.ResponseCache;
import io.modelmux.internal.memory.MemoryScheduler;
import io.modelmux.internal.memory.Residency;
import io.modelmux.internal.observe.CostBook;
import io.modelmux.internal.observe.RequestEvents;
import io.modelmux.internal.registry.ModelRegistry;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.internal.route.RouteEvents;
import io.modelmux.internal.route.Router;
import io.modelmux.internal.route.TaskClassifiers;
import io.modelmux.internal.serve.AsyncCall;
import io.modelmux.internal.serve.BlockingTokenStream;
import io.modelmux.internal.serve.RequestPath;
import io.modelmux.internal.serve.StreamSession;
import io.modelmux.internal.serve.StreamTask;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.TaskClassifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link MultiModelManager}: resolution, leases, loading and the three ways to serve. */
public final class DefaultMultiModelManager implements MultiModelManager {
  private static final Logger log = LoggerFactory.getLogger(DefaultMultiModelManager.class);
  private static final AtomicInteger MANAGERS = new AtomicInteger();

  private final ModelFactories factories;
  private final ModelRegistry registry = new ModelRegistry();
  private final Router router;
  private final RouteEvents routeEvents;
  /** The previous target of each alias or route switched with switchTarget, for rollback. */
  private final Map<String, String> previousTargets = new ConcurrentHashMap<>();
  private final Set<RegisteredModel> draining = ConcurrentHashMap.newKeySet();
  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final Clock clock;
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch closing = new CountDownLatch(1); // ends requests' waits between attempts
  private static final int DEFAULT_THREADS = 64;
  private static final int DEFAULT_QUEUE = 10_000;
  private final Duration closeTimeout;
  private final MemoryScheduler scheduler;
  private final RequestPath path;
  private final RequestEvents requestEvents;
  private final @Nullable ResponseCache cache;
  private final CostBook costs;
  private final Benchmarker benchmarks;
  private final List<ModelObserver> modelObservers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final int number = MANAGERS.incrementAndGet();

  private DefaultMultiModelManager(ManagerSettings settings) {
    this.factories = settings.factories();
    this.clock = settings.clock();
    this.closeTimeout = settings.closeTimeout();
    ExecutorService executor = settings.executor();
    this.scheduler =
        new MemoryScheduler(
            settings.memory(), settings.hardware(), settings.evictionPolicy(),
            MemoryScheduler.Settings.DEFAULTS, settings.clock());
    settings.listeners().forEach(scheduler::addListener);
    this.routeEvents = new RouteEvents(settings.routeListeners());
    TaskClassifier classifier = settings.classifier() != null ? settings.classifier() : TaskClassifiers.discover();
    this.router = new Router(registry, clock, routeEvents, classifier);
    if (executor != null) {
      this.executor = executor;
      this.ownsExecutor = false;
    } else {
      // bounded: a burst of asynchronous requests queues instead of starting a thread each
      ThreadPoolExecutor pool =
          new ThreadPoolExecutor(
              DEFAULT_THREADS, DEFAULT_THREADS, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(DEFAULT_QUEUE), daemonThreads(number));
      pool.allowCoreThreadTimeOut(true);
      this.executor = pool;
      this.ownsExecutor = true;
    }
    this.requestEvents = new RequestEvents(settings.requestListeners(), clock, "modelmux-" + number);
    this.cache = settings.cache() == null ? null : new ResponseCache(settings.cache(), clock);
    this.costs = new CostBook(settings.costReference(), referencePrices(settings));
    this.path = new RequestPath(
        router, scheduler, clock, closed::get, this.executor, routeEvents, closing, requestEvents, cache, costs);
    this.benchmarks = new Benchmarker(
        registry::snapshot, scheduler::preload, path, clock, settings.benchmark(), "modelmux-" + number + "-benchmark");
    if (settings.benchmark() != null && settings.benchmark().every() > 0) {
      path.onRequestEnded(benchmarks::requestEnded);
    }
  }

  /** Returns the prices of the cost reference model, checked: it must be one of the models, with a price. */
  private static io.modelmux.spi.@Nullable Prices referencePrices(ManagerSettings settings) {
    String name = settings.costReference();
    if (name == null) {
      return null;
    }
    List<String> known = new ArrayList<>();
    for (ModelSpec spec : settings.models()) {
      known.add(spec.ref().toString());
      if (spec.ref().toString().equals(name) || spec.ref().id().equals(name)) {
        return spec.prices().orElseThrow(() -> new ConfigException(
            "cost.reference names model '" + spec.ref() + "', which has no price; give it price: {input: ..., output: ...}"
                + " or name a model that has one", null, "cost.reference", name, null));
      }
    }
    throw new ConfigException(
        "cost.reference names " + MessageText.quote(name) + ", which is not a model; name one of " + String.join(", ", known),
        null, "cost.reference", name, null);
  }

  /**
   * Builds a manager from the builder's settings: creates every model's adapter (so that an
   * invalid spec fails now, with its location), then aliases and the default model.
   */
  public static MultiModelManager start(ManagerSettings settings) {
    DefaultMultiModelManager m = new DefaultMultiModelManager(settings);
    try {
      m.addAll(settings.models()); // one publication; overflow_to names are checked once all are registered
      for (Map.Entry<String, String> a : settings.aliases().entrySet()) {
        try {
          m.registry.putAlias(a.getKey(), a.getValue());
        } catch (UnknownModelException e) {
          throw new ConfigException(
              "alias '" + a.getKey() + "' points to '" + a.getValue() + "', which is not a model: "
                  + e.getMessage(), null, "aliases." + a.getKey(), null, e);
        }
      }
      m.router.setRoutes(settings.routes());
      String def = settings.defaultModel();
      if (def != null) {
        m.registry.setDefault(def);
        if (m.registry.defaultModel() == null && !m.router.isRoute(def)) {
          UnknownModelException e = m.registry.unknown(def);
          String from = settings.defaultFromEnvironment()
              ? "environment variable " + DEFAULT_MODEL_ENV
              : "default_model";
          throw new ConfigException(
              from + " names '" + def + "', which is not registered: " + e.getMessage(),
              null, settings.defaultFromEnvironment() ? null : "default_model", def, e);
        }
      }
      settings.models().forEach(m::warnAboutOverflowNames);
      settings.routes().forEach(m::warnAboutUnpricedModels);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    return m;
  }

  /**
   * Logs a WARN for each model of a route with a spend limit that has no price: its requests
   * cannot be counted against the limit (a cost needs a price), so the limit does not hold them.
   */
  private void warnAboutUnpricedModels(io.modelmux.RouteConfig route) {
    if (route.spendLimit().isEmpty()) {
      return;
    }
    ModelRegistry.Snapshot s = registry.snapshot();
    java.util.Set<String> names = new java.util.LinkedHashSet<>(route.targets());
    names.addAll(route.fallbacks());
    for (String name : names) {
      io.modelmux.internal.registry.RegisteredModel model = s.byName.get(name);
      if (model != null && model.prices == null) {
        log.warn(
            "route {} has a spend_limit, but its model {} has no price: its requests are not counted"
                + " against the limit; give the model price: {{input: ..., output: ...}}",
            MessageText.quote(route.name()), model.ref);
      }
    }
  }

  /** Logs a WARN for each {@code overflow_to} name of {@code spec} that leads nowhere now: it acts once it does. */
  private void warnAboutOverflowNames(ModelSpec spec) {
    ModelRegistry.Snapshot s = registry.snapshot();
    for (String name : spec.overflowTo()) {
      if (!s.byName.containsKey(name)) {
        log.warn(
            "model {} overflows to {}, which is not registered: its requests cannot go there until it is",
            spec.ref(), MessageText.quote(name));
      }
    }
  }


  // ---- serving: the request path is RequestPath's; here, only threads ---------------------

  @Override
  public GenerateResponse generate(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    return path.generate(request);
  }

  @Override
  public CompletableFuture<GenerateResponse> generateAsync(GenerateRequest request) {
    return generateAsync(request, executor);
  }

  @Override
  public CompletableFuture<GenerateResponse> generateAsync(GenerateRequest request, Executor executor) {
    if (request == null || executor == null) {
      return CompletableFuture.failedFuture(
          new NullPointerException(request == null ? "request" : "executor"));
    }
    if (closed.get()) {
      return CompletableFuture.failedFuture(RequestPath.closedError());
    }
    AsyncCall result = new AsyncCall(() -> path.generate(request));
    try {
      executor.execute(result);
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(closed.get() ? RequestPath.closedError() : rejected(request, e));
    }
    return result;
  }

  @Override
  public StreamHandle stream(GenerateRequest request, StreamListener listener) {
    Objects.requireNonNull(listener, "listener");
    checkOpen();
    StreamSession session = new StreamSession(listener, clock, request);
    if (request == null) {
      session.fail(new InvalidRequestException("request must not be null", null, null));
      return session;
    }
    try {
      executor.execute(new StreamTask(session, () -> path.stream(request, session)));
    } catch (RejectedExecutionException e) {
      session.fail(closed.get() ? RequestPath.closedWhileWaiting(RequestPath.closedError()) : rejected(request, e));
    }
    return session;
  }

  @Override
  public TokenStream stream(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    checkOpen();
    BlockingTokenStream tokens = new BlockingTokenStream();
    tokens.attach(stream(request, tokens.listener()));
    return tokens;
  }

  private static OverloadedException rejected(GenerateRequest request, RejectedExecutionException e) {
    return new OverloadedException(
        "the executor refused the request" + request.model().map(m -> " for model '" + m + "'").orElse("")
            + " (it is full); retry later or give the manager a larger executor",
        request.model().orElse(null), e);
  }

  // ---- registry -----------------------------------------------------------------------------

  @Override
  public ModelRef resolve(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    return find(model).ref;
  }

  @Override
  public ModelRef register(ModelSpec spec) {
    ModelRef ref = add(spec);
    warnAboutOverflowNames(spec);
    return ref;
  }

  /** Creates every model's adapter, then registers them all at once; on a failure closes those created. */
  private void addAll(List<ModelSpec> specs) {
    List<RegisteredModel> created = new ArrayList<>(specs.size());
    try {
      for (ModelSpec spec : specs) {
        Objects.requireNonNull(spec, "spec");
        created.add(new RegisteredModel(spec, factories.create(spec), sequence.incrementAndGet(), clock));
      }
      registry.addAll(created);
    } catch (RuntimeException e) {
      created.forEach(c -> c.adapter.close());
      throw e;
    }
    for (RegisteredModel model : created) {
      for (ModelObserver o : modelObservers) {
        o.registered(model);
      }
    }
  }

  private ModelRef add(ModelSpec spec) {
    Objects.requireNonNull(spec, "spec");
    checkOpen();
    ModelAdapter adapter = factories.create(spec);
    RegisteredModel model = new RegisteredModel(spec, adapter, sequence.incrementAndGet(), clock);
    try {
      registry.add(model);
    } catch (RuntimeException e) {
      adapter.close();
      throw e;
    }
    log.debug("registered model {} ({})", spec.ref(), spec.type());
    for (ModelObserver o : modelObservers) {
      o.registered(model);
    }
    return spec.ref();
  }

  @Override
  public List<ModelRef> unregister(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    List<RegisteredModel> removed = registry.remove(model);
    List<ModelRef> refs = new ArrayList<>(removed.size());
    for (RegisteredModel m : removed) {
      drainAndClose(m, Long.MAX_VALUE);
      refs.add(m.ref);
    }
    return refs;
  }

  /**
   * Lets {@code m}'s requests in flight finish, until {@code untilNanos} ({@link System#nanoTime()};
   * {@link Long#MAX_VALUE}: however long they take), then closes it.
   */
  private void drainAndClose(RegisteredModel m, long untilNanos) {
    draining.add(m);
    m.residency.startDraining();
    boolean interrupted = false;
    while (true) {
      try {
        if (untilNanos == Long.MAX_VALUE) {
          m.residency.drained().get();
        } else {
          m.residency.drained().get(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        break; // never completed exceptionally
      } catch (TimeoutException e) {
        log.warn(
            "model {} still had {} request(s) in flight when close() had waited closeTimeout ({} ms) for them;"
                + " closing it under them",
            m.ref, m.residency.inFlight(), closeTimeout.toMillis());
        break;
      }
    }
    scheduler.remove(m, untilNanos);
    if (cache != null) {
      cache.invalidate(m);
    }
    draining.remove(m);
    for (ModelObserver o : modelObservers) {
      o.removed(m);
    }
    log.debug("unregistered model {}", m.ref);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void alias(String alias, String target) {
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(target, "target");
    checkOpen();
    registry.putAlias(alias, target);
  }

  @Override
  public boolean removeAlias(String alias) {
    Objects.requireNonNull(alias, "alias");
    checkOpen();
    return registry.removeAlias(alias);
  }

  @Override
  public void load(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    if (router.isRoute(model)) {
      throw isRoute(model);
    }
    path.lease(GenerateRequest.builder().model(model).prompt("").build()).close();
  }

  @Override
  public CompletableFuture<Void> preload(String model) {
    if (model == null) {
      return CompletableFuture.failedFuture(new NullPointerException("model"));
    }
    if (closed.get()) {
      return CompletableFuture.failedFuture(RequestPath.closedError());
    }
    RegisteredModel m;
    try {
      m = find(model);
    } catch (ModelMuxException e) {
      return CompletableFuture.failedFuture(e);
    }
    return scheduler.preload(m);
  }

  @Override
  public void unload(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    scheduler.unload(find(model));
  }

  @Override
  public CompletableFuture<Void> pin(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    RegisteredModel m = find(model);
    scheduler.pin(m, true);
    return scheduler.preload(m);
  }

  @Override
  public void unpin(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    scheduler.pin(find(model), false);
  }

  @Override
  public List<PoolStatus> pools() {
    checkOpen();
    return scheduler.pools();
  }

  private RegisteredModel find(String model) {
    RegisteredModel m = registry.find(model);
    if (m == null) {
      throw router.isRoute(model) ? isRoute(model) : registry.unknown(model, router.routeNames());
    }
    return m;
  }

  /** Returns the error for a call that needs one model and was given a route's name. */
  private static InvalidRequestException isRoute(String route) {
    return new InvalidRequestException(
        "'" + route + "' is a route, which chooses a model per request; name one of its models", route, null);
  }

  @Override
  public List<ModelStatus> models() {
    checkOpen();
    ModelRegistry.Snapshot s = registry.snapshot();
    List<RegisteredModel> all = new ArrayList<>(s.models);
    all.addAll(draining);
    all.sort(Comparator.comparingLong(m -> m.sequence));
    List<ModelStatus> out = new ArrayList<>(all.size());
    for (RegisteredModel m : all) {
      out.add(status(s, m));
    }
    return out;
  }

  @Override
  public ManagerMetrics metrics() {
    checkOpen();
    List<ModelStatus> models = models();
    List<RouteMetrics> routes = router.routeMetrics();
    Map<String, Double> byModel = new java.util.LinkedHashMap<>();
    for (ModelStatus m : models) {
      byModel.merge(m.ref().toString(), m.servingStats().cost(), Double::sum);
    }
    Map<String, Double> byRoute = new java.util.LinkedHashMap<>();
    for (RouteMetrics r : routes) {
      byRoute.put(r.route(), r.cost());
    }
    return new ManagerMetrics(
        models, routes, requestEvents.dropped(), cache == null ? null : cache.stats(), costs.report(byModel, byRoute));
  }

  @Override
  public CompletableFuture<BenchmarkRound> benchmark(List<String> prompts) {
    if (prompts == null) {
      return CompletableFuture.failedFuture(new NullPointerException("prompts"));
    }
    BenchmarkConfig options;
    try {
      BenchmarkConfig configured = benchmarks.config();
      options = configured != null ? configured.withPrompts(prompts) : BenchmarkConfig.of(prompts);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return benchmark(options);
  }

  @Override
  public CompletableFuture<BenchmarkRound> benchmark(BenchmarkConfig options) {
    if (options == null) {
      return CompletableFuture.failedFuture(new NullPointerException("options"));
    }
    if (closed.get()) {
      return CompletableFuture.failedFuture(RequestPath.closedError());
    }
    return benchmarks.submit(options);
  }

  @Override
  public Optional<BenchmarkRound> lastBenchmark() {
    checkOpen();
    return Optional.ofNullable(benchmarks.last());
  }

  /** Returns this manager's number in the JVM, which its threads' names carry ({@code modelmux-N-...}). */
  public int number() {
    return number;
  }

  /** Returns the manager's request events, for its own observers (the Micrometer binder). */
  public RequestEvents requestEvents() {
    return requestEvents;
  }

  /**
   * Adds an observer of registrations and returns the models registered now (the observer hears
   * those registered from now on; one registered meanwhile may be in both).
   */
  public List<RegisteredModel> observeModels(ModelObserver observer) {
    modelObservers.add(observer);
    return registry.snapshot().models;
  }

  /** Removes an observer added with {@link #observeModels}. */
  public void stopObservingModels(ModelObserver observer) {
    modelObservers.remove(observer);
  }

  /** Returns each route's live figures, for the manager's own observers. */
  public Map<String, io.modelmux.internal.observe.RouteMeters> routeMeters() {
    return router.routeMeters();
  }

  /** Returns the memory scheduler, for the manager's own observers. */
  public MemoryScheduler scheduler() {
    return scheduler;
  }

  private static boolean inProcess(RegisteredModel m) {
    try {
      return m.adapter.local();
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public Optional<ModelStatus> model(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    ModelRegistry.Snapshot s = registry.snapshot();
    RegisteredModel m = s.byName.get(model);
    if (m == null) {
      // an unregistered model that still drains is listed by models(), so it is found here too
      m = draining.stream()
          .filter(d -> d.ref.toString().equals(model) || d.ref.id().equals(model))
          .min(Comparator.comparingLong(d -> d.sequence))
          .orElse(null);
    }
    return m == null ? Optional.empty() : Optional.of(status(s, m));
  }

  /** Returns the model's guard stats, with the circuits of the servers its adapter spreads it over. */
  private static GuardStats guardStats(RegisteredModel m) {
    return m.guard.stats(RegisteredModel.replicaBreakers(m.adapter));
  }

  private ModelStatus status(ModelRegistry.Snapshot s, RegisteredModel m) {
    TreeSet<String> aliases = new TreeSet<>();
    s.aliases.forEach(
        (alias, target) -> {
          if (s.byName.get(alias) == m) {
            aliases.add(alias);
          }
        });
    MemoryScheduler.Expected f = scheduler.expectedOf(m);
    Residency r = m.residency;
    long last = r.lastUsedMillis();
    return ModelStatus.builder(m.ref, m.spec.type())
        .state(r.state())
        .primary(s.byName.get(m.ref.id()) == m)
        .defaultModel(s.defaultModel == m)
        .aliases(new ArrayList<>(aliases))
        .tags(m.spec.tags())
        .requestStats(
            RequestStats.builder()
                .inFlight(r.inFlight())
                .requests(m.requests.sum())
                .failures(m.failures.sum())
                .shadow(m.shadowRequests.sum(), m.shadowFailures.sum())
                .lastUsed(last < 0 ? null : Instant.ofEpochMilli(last))
                .build())
        .guardStats(guardStats(m))
        .servingStats(m.meters.stats())
        .inProcess(inProcess(m))
        .memoryStats(
            MemoryStats.builder()
                .bytes(f.bytes(), f.source())
                .tier(r.tier())
                .pools(r.charged())
                .pinned(r.pinned())
                .loads(r.loads())
                .evictions(r.evictions())
                .lastLoadTime(r.lastLoadTime())
                .build())
        .build();
  }

  // ---- routes ------------------------------------------------------------------------------

  @Override
  public CompletableFuture<Void> switchTarget(String name, String target) {
    if (name == null || target == null) {
      return CompletableFuture.failedFuture(new NullPointerException(name == null ? "name" : "target"));
    }
    if (closed.get()) {
      return CompletableFuture.failedFuture(RequestPath.closedError());
    }
    String current;
    boolean isRoute = router.isRoute(name);
    if (isRoute) {
      current = router.singleTarget(name).orElse(null);
      if (current == null) {
        return CompletableFuture.failedFuture(
            new IllegalArgumentException("route '" + name + "' has several targets or a canary; only a route with one target switches"));
      }
    } else {
      current = registry.snapshot().aliases.get(name);
      if (current == null) {
        return CompletableFuture.failedFuture(
            new IllegalArgumentException("'" + name + "' is neither an alias nor a route with one target; switch one of those"));
      }
    }
    RegisteredModel next;
    try {
      next = find(target);
    } catch (ModelMuxException e) {
      return CompletableFuture.failedFuture(e);
    }
    String from = current;
    return scheduler.preload(next).thenRun(
        () -> {
          checkOpen();
          if (isRoute) {
            router.retarget(name, target); // loaded: the flip is one publication of the router's snapshot
          } else {
            registry.putAlias(name, target);
          }
          previousTargets.put(name, from);
          log.info("switched {} from {} to {}", name, from, target);
          routeEvents.publish(new RouteEvent(RouteEvent.Type.SWITCHED, name, from, target, "switched on request, after " + target + " loaded", clock.instant()));
        });
  }

  @Override
  public CompletableFuture<Void> rollback(String name) {
    if (name == null) {
      return CompletableFuture.failedFuture(new NullPointerException("name"));
    }
    if (closed.get()) {
      return CompletableFuture.failedFuture(RequestPath.closedError());
    }
    if (router.rollbackCanary(name)) {
      return CompletableFuture.completedFuture(null);
    }
    String previous = previousTargets.get(name);
    if (previous == null) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException("'" + name + "' has nothing to roll back: it is not a canary route and was not switched"));
    }
    return switchTarget(name, previous);
  }

  @Override
  public void promote(String route) {
    Objects.requireNonNull(route, "route");
    checkOpen();
    router.promote(route);
  }

  @Override
  public List<RouteStatus> routes() {
    checkOpen();
    return router.routes(previousTargets);
  }

  @Override
  public ModelFactories factories() {
    checkOpen();
    return factories;
  }

  private void checkOpen() {
    if (closed.get()) {
      throw RequestPath.closedError();
    }
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closing.countDown();
    long until = System.nanoTime() + closeTimeout.toNanos();
    benchmarks.close(until); // a round's calls would hold models open
    for (RegisteredModel m : registry.snapshot().models) {
      m.guard.close(); // requests queued for a slot fail as closed
    }
    for (RegisteredModel m : registry.removeAll()) { // one publication, however many models
      drainAndClose(m, until); // (one removed by a concurrent unregister is closed there)
    }
    scheduler.close(until);
    requestEvents.close(until);
    if (cache != null) {
      cache.clear();
    }
    if (ownsExecutor) {
      executor.shutdown();
      try {
        long left = Math.max(0, until - System.nanoTime()) + TimeUnit.SECONDS.toNanos(1);
        if (!executor.awaitTermination(left, TimeUnit.NANOSECONDS)) {
          log.warn("worker threads still running after close() waited closeTimeout ({} ms); interrupting them", closeTimeout.toMillis());
          executor.shutdownNow();
        }
      } catch (InterruptedException e) {
        executor.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    log.debug("closed");
  }

  private static ThreadFactory daemonThreads(int manager) {
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "modelmux-" + manager + "-worker-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
