package io.modelmux;

import io.modelmux.internal.DefaultMultiModelManager;
import io.modelmux.internal.ManagerSettings;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Many models behind one API: the object an application holds. It resolves each request to a
 * registered model (by id, {@code id@version} or alias, or the default model), loads the model
 * when first needed, and serves the request blocking, asynchronously or as a stream.
 *
 * <pre>{@code
 * try (MultiModelManager models = MultiModelManager.builder()
 *     .config(Path.of("models.yaml"))
 *     .build()) {
 *   GenerateResponse r = models.generate(GenerateRequest.of("tiny-lm", "To be, or not"));
 *   System.out.println(r.text() + "  [" + r.model() + ", " + r.latency() + "]");
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> Every method is thread-safe. Resolving a request takes no lock. Models may
 * be registered and unregistered while requests run: an unregistered model stops taking new
 * requests at once and finishes those in flight before it is closed.
 *
 * <p><b>Errors.</b> Failures are {@link ModelMuxException}s: {@link UnknownModelException},
 * {@link InvalidRequestException}, {@link ModelLoadException}, {@link DeadlineExceededException},
 * {@link BackendException} and the rest of the family. Methods returning a
 * {@link CompletableFuture} or a {@link StreamHandle} never throw: they report failures through
 * the future or the listener. Any method called after {@link #close()} throws
 * {@link IllegalStateException} (or fails its future with it).
 */
public interface MultiModelManager extends AutoCloseable {
  /** The environment variable whose value, when set, overrides the configured default model. */
  String DEFAULT_MODEL_ENV = "MODELMUX_DEFAULT_MODEL";

  /** Returns a new builder. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Serves {@code request} and returns the whole answer, blocking the calling thread.
   *
   * @param request the request; not null
   * @return the response
   * @throws ModelMuxException if the request fails
   */
  GenerateResponse generate(GenerateRequest request);

  /**
   * Serves {@code request} on the manager's executor. Never throws.
   *
   * @param request the request; not null
   * @return a future of the response, failed with the {@link ModelMuxException} on failure
   */
  CompletableFuture<GenerateResponse> generateAsync(GenerateRequest request);

  /**
   * Serves {@code request} on {@code executor}. Never throws.
   *
   * @param request the request; not null
   * @param executor where the blocking work runs; not null
   * @return a future of the response, failed with the {@link ModelMuxException} on failure
   */
  CompletableFuture<GenerateResponse> generateAsync(GenerateRequest request, Executor executor);

  /**
   * Streams the answer to {@code request} into {@code listener}, on the manager's executor.
   * Every failure of the request, including an unknown model, reaches {@link
   * StreamListener#onError}; a stream accepted before {@link #close()} that reaches its turn
   * after it ends there with a non-retryable {@link ModelMuxException}.
   *
   * @param request the request; not null
   * @param listener receives the text and the end; not null
   * @return a handle to cancel the stream or wait for it
   * @throws IllegalStateException if the manager is closed, as every method then does
   */
  StreamHandle stream(GenerateRequest request, StreamListener listener);

  /**
   * Streams the answer to {@code request} as a blocking iterable of text pieces. Close it (or
   * iterate to the end) to release the stream.
   *
   * @param request the request; not null
   * @return the stream
   */
  TokenStream stream(GenerateRequest request);

  /**
   * Resolves a model name as a request would: an id (its primary version), {@code id@version}
   * or an alias.
   *
   * @param model the name; not null
   * @return the model it names now
   * @throws UnknownModelException if nothing is registered under that name
   */
  ModelRef resolve(String model);

  /**
   * Registers a model at run time. It can serve requests as soon as this returns; it is loaded
   * on its first request (or by {@link #load}). The first registered version of an id is the
   * one a bare id resolves to, until it is unregistered.
   *
   * @param spec the model; not null
   * @return the registered model's reference
   * @throws ConfigException if {@code id@version} is already registered, the id is an alias,
   *     or the spec is invalid for its type
   * @throws UnknownModelTypeException if no factory serves the spec's type
   */
  ModelRef register(ModelSpec spec);

  /**
   * Unregisters a model: {@code id} removes every version, {@code id@version} one. New requests
   * stop reaching it at once; this call waits until the requests in flight have finished, then
   * closes the model. Aliases that pointed to it stop resolving.
   *
   * @param model an id or {@code id@version}; not null
   * @return what was removed
   * @throws UnknownModelException if nothing is registered under that name
   * @throws InvalidRequestException if {@code model} is an alias
   */
  List<ModelRef> unregister(String model);

  /**
   * Points {@code alias} at {@code target}, replacing what it pointed to before. The switch is
   * atomic: each request sees the old or the new target.
   *
   * @param alias the alias; not blank, no {@code @}, not a model id
   * @param target an id or {@code id@version} that is registered; not null
   * @throws ConfigException if the alias is a model id or malformed
   * @throws UnknownModelException if {@code target} is not registered
   */
  void alias(String alias, String target);

  /**
   * Removes an alias.
   *
   * @param alias the alias; not null
   * @return whether it existed
   */
  boolean removeAlias(String alias);

  /**
   * Switches an alias, or a route with one target, to {@code target} without downtime: the new
   * target is loaded in the background while the old one serves, the name flips to it
   * atomically once it is ready (each request sees the old or the new target), and the old one
   * drains its requests in flight and is left to its keep-alive. {@link #rollback} switches back.
   * Never throws: failures (an unknown name or target, a failed load) complete the future
   * exceptionally, and the name keeps its old target.
   *
   * @param name an alias or a single-target route; not null
   * @param target a model id, {@code id@version} or alias; not null
   * @return a future that completes when the name points at {@code target}
   */
  CompletableFuture<Void> switchTarget(String name, String target);

  /**
   * Undoes the last change of a route or an alias: a canary route sends all its traffic to the
   * stable model again (its canary's share becomes zero); an alias or a route switched with
   * {@link #switchTarget} switches back to its previous target, the same way. Never throws.
   *
   * @param name the route or alias; not null
   * @return a future that completes when the change is undone
   */
  CompletableFuture<Void> rollback(String name);

  /**
   * Sends all of a canary route's traffic to its canary model.
   *
   * @param route the canary route; not null
   * @throws IllegalArgumentException if {@code route} is not a canary route
   */
  void promote(String route);

  /** Returns each route's state now: shares, canary numbers, shadow counts, in the order defined. */
  List<RouteStatus> routes();

  /**
   * Loads a model now, so that its first request does not wait for the load.
   *
   * @param model an id, {@code id@version} or alias; not null
   * @throws UnknownModelException if nothing is registered under that name
   * @throws InvalidRequestException if {@code model} is a route, which chooses per request
   * @throws ModelLoadException if the load fails
   */
  void load(String model);

  /**
   * Loads a model in the background. Never blocks requests to other models; never throws.
   *
   * @param model an id, {@code id@version} or alias; not null
   * @return a future that completes when the model is resident, or fails with the reason
   *     ({@link UnknownModelException}, {@link InvalidRequestException} for a route's name, or
   *     the load's failure)
   */
  CompletableFuture<Void> preload(String model);

  /**
   * Unloads a model once its requests in flight have finished. Requests that come later load
   * it again.
   *
   * @param model an id, {@code id@version} or alias; not null
   * @throws UnknownModelException if nothing is registered under that name
   * @throws InvalidRequestException if {@code model} is a route, which chooses per request
   */
  void unload(String model);

  /**
   * Pins a model: it is never evicted until {@link #unpin}, and it is loaded now in the
   * background (as by {@link #preload}) if it is not resident.
   *
   * @param model an id, {@code id@version} or alias; not null
   * @return a future that completes when the model is resident, or fails with the reason
   * @throws UnknownModelException if nothing is registered under that name
   * @throws InvalidRequestException if {@code model} is a route, which chooses per request
   */
  CompletableFuture<Void> pin(String model);

  /**
   * Unpins a model: it may be evicted again, and its keep-alive applies.
   *
   * @param model an id, {@code id@version} or alias; not null
   * @throws UnknownModelException if nothing is registered under that name
   * @throws InvalidRequestException if {@code model} is a route, which chooses per request
   */
  void unpin(String model);

  /** Returns a snapshot of every memory pool: budget, bytes in use, models holding them. */
  List<PoolStatus> pools();

  /** Returns a status snapshot of every registered (or draining) model, in registration order. */
  List<ModelStatus> models();

  /**
   * Returns the manager's figures now: every model's status (with its {@link ServingStats}:
   * latency percentiles, tokens, errors by type, cache answers, fallbacks), every route's, and
   * what request listeners missed. To export them, bind {@code
   * io.modelmux.micrometer.ModelMuxMetrics} to a Micrometer registry.
   */
  ManagerMetrics metrics();

  /**
   * Runs a comparative benchmark round now, off the callers' path: every healthy model answers
   * {@code prompts} (greedy, one model and one prompt at a time, with the {@code benchmark:}
   * section's token limit and file, else {@value BenchmarkConfig#DEFAULT_MAX_TOKENS} tokens and
   * no file); models whose circuit is open and local models that are not loaded are skipped.
   * Never throws.
   *
   * @param prompts the prompts; at least one
   * @return the round, when it is done
   */
  CompletableFuture<BenchmarkRound> benchmark(List<String> prompts);

  /**
   * Runs a comparative benchmark round with {@code options} (its {@code every} is ignored),
   * off the callers' path. Never throws.
   *
   * @param options the prompts, token limit, file and whether to load evicted models
   * @return the round, when it is done
   */
  CompletableFuture<BenchmarkRound> benchmark(BenchmarkConfig options);

  /** Returns the last benchmark round that finished, on demand or periodic. */
  Optional<BenchmarkRound> lastBenchmark();

  /**
   * Returns a status snapshot of the model {@code model} names now.
   *
   * @param model an id, {@code id@version} or alias; not null
   * @return its status, or empty if the name does not resolve
   */
  Optional<ModelStatus> model(String model);

  /** Returns the model factories this manager uses. */
  ModelFactories factories();

  /**
   * Stops taking requests, waits for those in flight, closes every model and, if the manager
   * created it, its executor. Idempotent.
   */
  @Override
  void close();

  /**
   * Builds a {@link MultiModelManager}. Each setter checks its argument at once. Not
   * thread-safe.
   */
  final class Builder {
    private @Nullable Path configPath;
    private @Nullable ModelMuxConfig config;
    private final List<ModelSpec> models = new ArrayList<>();
    private final Map<String, String> aliases = new LinkedHashMap<>();
    private @Nullable String defaultModel;
    private @Nullable ModelFactories factories;
    private final List<ModelFactory> extraFactories = new ArrayList<>();
    private @Nullable ClassLoader classLoader;
    private Function<String, String> environment = System::getenv;
    private @Nullable ExecutorService executor;
    private Duration closeTimeout = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private @Nullable MemoryConfig memory;
    private @Nullable Hardware hardware;
    private io.modelmux.spi.@Nullable EvictionPolicy evictionPolicy;
    private final List<ModelEventListener> listeners = new ArrayList<>();
    private final List<RouteConfig> routes = new ArrayList<>();
    private final List<RouteEventListener> routeListeners = new ArrayList<>();
    private final List<RequestListener> requestListeners = new ArrayList<>();
    private @Nullable CacheConfig cache;
    private @Nullable String costReference;
    private @Nullable BenchmarkConfig benchmark;
    private io.modelmux.spi.@Nullable TaskClassifier classifier;

    private Builder() {}

    /**
     * Adds a route (after those of {@code models.yaml}, if any); a route of the same name
     * replaces the file's.
     *
     * @param route the route; not null
     * @return this builder
     */
    public Builder route(RouteConfig route) {
      routes.add(Objects.requireNonNull(route, "route"));
      return this;
    }

    /**
     * Adds a listener for route events (a canary rolled back or promoted, a switch) and shadow
     * results.
     *
     * @param listener the listener; not null
     * @return this builder
     */
    public Builder routeListener(RouteEventListener listener) {
      routeListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Adds a listener for each request's start, attempts and end (shadow copies marked). It
     * hears them on a thread of its own: a listener that is slow or throws never fails or
     * delays a request (see {@link RequestListener}).
     *
     * @param listener the listener; not null
     * @return this builder
     */
    public Builder requestListener(RequestListener listener) {
      requestListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Counts savings against the prices of {@code model} (an id or {@code id@version} with a
     * price), overriding the configuration's {@code cost: {reference: ...}}: the cost report
     * says what the same tokens would have cost there ({@link CostReport#saving()}).
     *
     * @param model the reference model; not blank
     * @return this builder
     */
    public Builder costReference(String model) {
      Objects.requireNonNull(model, "model");
      if (model.isBlank()) {
        throw new IllegalArgumentException("the cost reference must name a model");
      }
      this.costReference = model;
      return this;
    }

    /**
     * Sets the benchmark section, overriding the configuration's: periodic rounds every {@code
     * every} caller requests (0: on demand only), their prompts, file and options.
     *
     * @param benchmark the section; not null
     * @return this builder
     */
    public Builder benchmark(BenchmarkConfig benchmark) {
      this.benchmark = Objects.requireNonNull(benchmark, "benchmark");
      return this;
    }

    /**
     * Turns the response cache on with these bounds, overriding the configuration's {@code
     * cache:} section.
     *
     * @param cache the bounds and time to live; not null
     * @return this builder
     */
    public Builder cache(CacheConfig cache) {
      this.cache = Objects.requireNonNull(cache, "cache");
      return this;
    }

    /**
     * Uses {@code classifier} for {@code auto} routes instead of the one found with {@link
     * java.util.ServiceLoader} (or the built-in rule-based one).
     *
     * @param classifier the classifier; not null
     * @return this builder
     */
    public Builder taskClassifier(io.modelmux.spi.TaskClassifier classifier) {
      this.classifier = Objects.requireNonNull(classifier, "classifier");
      return this;
    }

    /**
     * Sets the memory section (budgets, keep-alive, limits, eviction), overriding the
     * configuration's.
     *
     * @param memory the section; not null
     * @return this builder
     */
    public Builder memory(MemoryConfig memory) {
      this.memory = Objects.requireNonNull(memory, "memory");
      return this;
    }

    /**
     * Uses this hardware description instead of {@link Hardware#detect()} (for tests, or to
     * plan for another machine).
     *
     * @param hardware the hardware; not null
     * @return this builder
     */
    public Builder hardware(Hardware hardware) {
      this.hardware = Objects.requireNonNull(hardware, "hardware");
      return this;
    }

    /**
     * Uses this eviction policy instead of the one named in {@code memory.eviction}.
     *
     * @param policy the policy; not null
     * @return this builder
     */
    public Builder evictionPolicy(io.modelmux.spi.EvictionPolicy policy) {
      this.evictionPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Adds a listener for what the memory scheduler does (loaded, evicted, demoted, promoted,
     * load failed).
     *
     * @param listener the listener; not null
     * @return this builder
     */
    public Builder listener(ModelEventListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Reads models, aliases and the default model from a {@code models.yaml}, interpolating
     * {@code ${VAR}} from the {@linkplain #environment environment}. Read when
     * {@link #build()} runs.
     *
     * @param path the file; not null
     * @return this builder
     */
    public Builder config(Path path) {
      this.configPath = Objects.requireNonNull(path, "path");
      this.config = null;
      return this;
    }

    /**
     * Uses an already parsed configuration.
     *
     * @param config the configuration; not null
     * @return this builder
     */
    public Builder config(ModelMuxConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      this.configPath = null;
      return this;
    }

    /**
     * Adds a model, after those of the configuration.
     *
     * @param spec the model; not null
     * @return this builder
     */
    public Builder model(ModelSpec spec) {
      models.add(Objects.requireNonNull(spec, "spec"));
      return this;
    }

    /**
     * Adds an alias, after those of the configuration.
     *
     * @param alias the alias; not blank, no {@code @}
     * @param target an id or {@code id@version}; not blank
     * @return this builder
     */
    public Builder alias(String alias, String target) {
      Objects.requireNonNull(alias, "alias");
      Objects.requireNonNull(target, "target");
      if (alias.isBlank() || alias.indexOf('@') >= 0) {
        throw new IllegalArgumentException("alias must be non-blank without '@', got '" + alias + "'");
      }
      if (target.isBlank()) {
        throw new IllegalArgumentException("alias target must not be blank");
      }
      aliases.put(alias, target);
      return this;
    }

    /**
     * Sets the default model, overriding the configuration's. The environment variable
     * {@value MultiModelManager#DEFAULT_MODEL_ENV} overrides both.
     *
     * @param model an id, {@code id@version} or alias; not blank
     * @return this builder
     */
    public Builder defaultModel(String model) {
      Objects.requireNonNull(model, "model");
      if (model.isBlank()) {
        throw new IllegalArgumentException("default model must not be blank");
      }
      this.defaultModel = model;
      return this;
    }

    /**
     * Uses these factories instead of discovering them with {@link java.util.ServiceLoader}.
     *
     * @param factories the factories; not null
     * @return this builder
     */
    public Builder factories(ModelFactories factories) {
      this.factories = Objects.requireNonNull(factories, "factories");
      return this;
    }

    /**
     * Registers a factory beside those discovered; it wins over a discovered one of its type.
     *
     * @param factory the factory; not null
     * @return this builder
     */
    public Builder factory(ModelFactory factory) {
      extraFactories.add(Objects.requireNonNull(factory, "factory"));
      return this;
    }

    /**
     * Sets the class loader that factories are discovered with (default: the thread context
     * loader, else the library's own).
     *
     * @param classLoader the loader; not null
     * @return this builder
     */
    public Builder classLoader(ClassLoader classLoader) {
      this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
      return this;
    }

    /**
     * Sets where environment variables are read from (default: the process environment), for
     * {@code ${VAR}} in the configuration and {@value MultiModelManager#DEFAULT_MODEL_ENV}.
     *
     * @param environment returns a variable's value, or null when unset; not null
     * @return this builder
     */
    public Builder environment(Function<String, String> environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /**
     * Sets the executor that runs asynchronous and streamed requests. The caller keeps
     * ownership: {@link MultiModelManager#close()} does not shut it down. By default the
     * manager runs them on at most 64 daemon threads (idle ones end after a minute) with up to
     * 10,000 more requests queued, beyond which a request fails as overloaded at once; it shuts
     * that pool down on close.
     *
     * @param executor the executor; not null
     * @return this builder
     */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * Sets how long {@link MultiModelManager#close()} waits for requests in flight to finish
     * before it closes their models under them (default 30 s): an adapter call that is stuck
     * cannot hold {@code close()} for ever.
     *
     * @param closeTimeout positive
     * @return this builder
     */
    public Builder closeTimeout(Duration closeTimeout) {
      Objects.requireNonNull(closeTimeout, "closeTimeout");
      if (closeTimeout.isNegative() || closeTimeout.isZero()) {
        throw new IllegalArgumentException("closeTimeout must be positive, got " + closeTimeout);
      }
      this.closeTimeout = closeTimeout;
      return this;
    }

    /**
     * Sets the clock for deadlines and timestamps (default: the system clock in UTC).
     *
     * @param clock the clock; not null
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the manager: reads the configuration, discovers factories, creates (but does not
     * load) every model, and sets aliases and the default model.
     *
     * @return the manager
     * @throws ConfigException if the configuration or a spec is invalid, a type is unknown, an
     *     alias or the default model names nothing registered
     */
    public MultiModelManager build() {
      ModelMuxConfig cfg = config;
      if (configPath != null) {
        cfg = ModelMuxConfig.load(configPath, environment);
      }
      ModelFactories f = factories;
      if (f == null) {
        f = classLoader != null ? ModelFactories.discover(classLoader) : ModelFactories.discover();
      }
      for (ModelFactory extra : extraFactories) {
        f.register(extra);
      }
      List<ModelSpec> allModels = new ArrayList<>();
      Map<String, String> allAliases = new LinkedHashMap<>();
      String defaultName = null;
      if (cfg != null) {
        allModels.addAll(cfg.models());
        allAliases.putAll(cfg.aliases());
        defaultName = cfg.defaultModel().orElse(null);
      }
      allModels.addAll(models);
      allAliases.putAll(aliases);
      if (defaultModel != null) {
        defaultName = defaultModel;
      }
      String fromEnv = environment.apply(DEFAULT_MODEL_ENV);
      boolean defaultFromEnv = fromEnv != null && !fromEnv.isBlank();
      if (defaultFromEnv) {
        defaultName = fromEnv.strip();
      }
      MemoryConfig mem = memory != null ? memory : cfg != null ? cfg.memory() : MemoryConfig.defaults();
      Map<String, RouteConfig> allRoutes = new LinkedHashMap<>();
      if (cfg != null) {
        cfg.routes().forEach(r -> allRoutes.put(r.name(), r));
      }
      routes.forEach(r -> allRoutes.put(r.name(), r));
      return DefaultMultiModelManager.start(
          new ManagerSettings(
              f, allModels, allAliases, defaultName, defaultFromEnv, executor, clock, mem,
              hardware != null ? hardware : Hardware.detect(), evictionPolicy, List.copyOf(listeners),
              List.copyOf(allRoutes.values()), List.copyOf(routeListeners), classifier,
              cache != null ? cache : cfg == null ? null : cfg.cache().orElse(null), closeTimeout,
              List.copyOf(requestListeners),
              costReference != null ? costReference : cfg == null ? null : cfg.costReference().orElse(null),
              benchmark != null ? benchmark : cfg == null ? null : cfg.benchmark().orElse(null)));
    }
  }
}
