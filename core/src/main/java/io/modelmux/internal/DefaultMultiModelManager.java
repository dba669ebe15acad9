package io.modelmux.internal;

import io.modelmux.BackendException;
import io.modelmux.ConfigException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.ModelStatus;
import io.modelmux.MultiModelManager;
import io.modelmux.OverloadedException;
import io.modelmux.StreamHandle;
import io.modelmux.StreamListener;
import io.modelmux.TokenStream;
import io.modelmux.UnknownModelException;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
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
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
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
  private final Set<RegisteredModel> draining = ConcurrentHashMap.newKeySet();
  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final Clock clock;
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final MemoryScheduler scheduler;

  private DefaultMultiModelManager(ManagerSettings settings) {
    this.factories = settings.factories();
    this.clock = settings.clock();
    ExecutorService executor = settings.executor();
    this.scheduler =
        new MemoryScheduler(
            settings.memory(), settings.hardware(), settings.evictionPolicy(),
            MemoryScheduler.Settings.DEFAULTS, settings.clock());
    settings.listeners().forEach(scheduler::addListener);
    if (executor != null) {
      this.executor = executor;
      this.ownsExecutor = false;
    } else {
      this.executor = Executors.newCachedThreadPool(daemonThreads());
      this.ownsExecutor = true;
    }
  }

  /**
   * Builds a manager from the builder's settings: creates every model's adapter (so that an
   * invalid spec fails now, with its location), then aliases and the default model.
   */
  public static MultiModelManager start(ManagerSettings settings) {
    DefaultMultiModelManager m = new DefaultMultiModelManager(settings);
    try {
      for (ModelSpec spec : settings.models()) {
        m.register(spec);
      }
      for (Map.Entry<String, String> a : settings.aliases().entrySet()) {
        try {
          m.registry.putAlias(a.getKey(), a.getValue());
        } catch (UnknownModelException e) {
          throw new ConfigException(
              "alias '" + a.getKey() + "' points to '" + a.getValue() + "', which is not a model: "
                  + e.getMessage(), null, "aliases." + a.getKey(), null, e);
        }
      }
      String def = settings.defaultModel();
      if (def != null) {
        m.registry.setDefault(def);
        if (m.registry.defaultModel() == null) {
          UnknownModelException e = m.registry.unknown(def);
          String from = settings.defaultFromEnvironment()
              ? "environment variable " + DEFAULT_MODEL_ENV
              : "default_model";
          throw new ConfigException(
              from + " names '" + def + "', which is not registered: " + e.getMessage(),
              null, settings.defaultFromEnvironment() ? null : "default_model", def, e);
        }
      }
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
    return m;
  }

  // ---- serving ----------------------------------------------------------------------------

  @Override
  public GenerateResponse generate(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    long start = System.nanoTime();
    RegisteredModel model = acquire(request);
    try {
      prepare(model, request);
      Completion c = model.adapter.generate(request);
      if (c == null) {
        throw noCompletion(model);
      }
      return response(model, c, c.text(), start, c.timeToFirstToken().orElse(null));
    } catch (ModelMuxException e) {
      model.failures.increment();
      throw e;
    } catch (RuntimeException e) {
      model.failures.increment();
      throw adapterBug(model, e);
    } finally {
      release(model);
    }
  }

  private void release(RegisteredModel model) {
    if (model.release()) {
      scheduler.idle(model);
    }
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
      return CompletableFuture.failedFuture(closedError());
    }
    CompletableFuture<GenerateResponse> result = new CompletableFuture<>();
    try {
      executor.execute(
          () -> {
            try {
              result.complete(generate(request));
            } catch (RuntimeException e) {
              result.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(closed.get() ? closedError() : rejected(request, e));
    }
    return result;
  }

  @Override
  public StreamHandle stream(GenerateRequest request, StreamListener listener) {
    Objects.requireNonNull(listener, "listener");
    checkOpen();
    StreamSession session = new StreamSession(listener, clock, request);
    if (request == null) {
      session.fail(new io.modelmux.InvalidRequestException("request must not be null", null, null));
      return session;
    }
    try {
      executor.execute(() -> runStream(request, session));
    } catch (RejectedExecutionException e) {
      session.fail(closed.get() ? closedWhileWaiting(closedError()) : rejected(request, e));
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

  private void runStream(GenerateRequest request, StreamSession session) {
    long start = System.nanoTime();
    RegisteredModel model;
    try {
      model = acquire(request);
    } catch (IllegalStateException e) {
      session.fail(closedWhileWaiting(e)); // the manager closed between the call and its turn
      return;
    } catch (RuntimeException e) {
      session.fail(asModelMux(e, null));
      return;
    }
    GenerateResponse response = null;
    ModelMuxException failure = null;
    try {
      session.start(start);
      prepare(model, request);
      boolean streams = model.adapter.info().supports(Capability.STREAMING);
      Completion c = streams ? model.adapter.stream(request, session) : model.adapter.generate(request);
      if (c == null) {
        throw noCompletion(model);
      }
      if (!streams) {
        session.accept(c.text());
      }
      if (session.deadlineExceeded()) {
        failure = deadline(model, request);
      } else if (session.isCancelled()) {
        response = cancelled(model, session, start);
      } else {
        response = response(model, c, c.text(), start, session.timeToFirstToken());
      }
    } catch (RuntimeException e) {
      if (session.isCancelled() && !session.deadlineExceeded()) {
        // The cancel closed what the adapter was reading; the stream ends as cancelled.
        response = cancelled(model, session, start);
      } else {
        failure = session.deadlineExceeded() ? deadline(model, request) : asModelMux(e, model);
      }
    } finally {
      if (failure != null) {
        model.failures.increment();
      }
      // Return the lease before telling the caller, so that a finished stream holds nothing.
      release(model);
    }
    if (failure != null) {
      session.fail(failure);
    } else {
      session.complete(response);
    }
  }

  private static GenerateResponse cancelled(RegisteredModel model, StreamSession session, long start) {
    return GenerateResponse.builder(model.ref)
        .text(session.text())
        .finishReason(io.modelmux.FinishReason.CANCELLED)
        .latency(Duration.ofNanos(System.nanoTime() - start))
        .timeToFirstToken(session.timeToFirstToken())
        .build();
  }

  /**
   * Resolves the request and takes a lease on its model: lock-free when the model is resident,
   * through the memory scheduler (load, promote or wait) when not.
   */
  private RegisteredModel acquire(GenerateRequest request) {
    return acquire(request, true);
  }

  private RegisteredModel acquire(GenerateRequest request, boolean isRequest) {
    checkOpen();
    Optional<String> name = request.model();
    for (; ; ) {
      RegisteredModel m;
      if (name.isPresent()) {
        m = registry.find(name.get());
        if (m == null) {
          checkOpen(); // close() empties the registry: a request racing it fails as closed
          throw registry.unknown(name.get());
        }
      } else {
        m = registry.defaultModel();
        if (m == null) {
          checkOpen();
          throw registry.noDefault();
        }
      }
      if (m.tryLease()) {
        scheduler.touch(m);
        return m;
      }
      if (!m.isDraining()) {
        boolean leased;
        try {
          checkDeadline(m, request);
          leased = scheduler.acquire(m, request.deadline().orElse(null));
        } catch (ModelMuxException e) {
          checkOpen();
          if (isRequest) {
            m.requests.increment(); // a request that could not even get its model still counts
            m.failures.increment();
          }
          throw e;
        }
        if (leased) {
          scheduler.touch(m);
          return m;
        }
      }
      // The model is draining: it was removed from resolution before draining began, so the
      // next lookup sees the registry without it.
      Thread.onSpinWait();
    }
  }

  /** Counts the request, checks its deadline and loads the model; runs under a lease. */
  private void prepare(RegisteredModel model, GenerateRequest request) {
    model.requests.increment();
    checkDeadline(model, request);
  }

  private void checkDeadline(RegisteredModel model, GenerateRequest request) {
    Optional<Instant> deadline = request.deadline();
    if (deadline.isPresent() && !clock.instant().isBefore(deadline.get())) {
      throw deadline(model, request);
    }
  }

  private DeadlineExceededException deadline(RegisteredModel model, GenerateRequest request) {
    return new DeadlineExceededException(
        "request to model '" + model.ref + "' passed its deadline "
            + request.deadline().map(Instant::toString).orElse("") + " before it was served;"
            + " retry with a later deadline",
        model.ref.id(),
        null);
  }

  private GenerateResponse response(
      RegisteredModel model, Completion c, String text, long startNanos, @Nullable Duration ttft) {
    return GenerateResponse.builder(model.ref)
        .text(text)
        .finishReason(c.finishReason())
        .usage(c.usage().orElse(null))
        .backendModel(c.backendModel().orElse(null))
        .latency(Duration.ofNanos(System.nanoTime() - startNanos))
        .timeToFirstToken(ttft)
        .build();
  }

  private static BackendException noCompletion(RegisteredModel model) {
    return new BackendException(
        "adapter of model '" + model.ref + "' (" + model.adapter.getClass().getName() + ") returned no completion;"
            + " report this to its authors",
        model.ref.id(), false, null);
  }

  private static ModelMuxException asModelMux(RuntimeException e, @Nullable RegisteredModel model) {
    if (e instanceof ModelMuxException) {
      return (ModelMuxException) e;
    }
    if (model == null) {
      return new ModelMuxException("request failed: " + MessageText.escape(e.toString()), e);
    }
    return adapterBug(model, e);
  }

  private static BackendException adapterBug(RegisteredModel model, RuntimeException e) {
    return new BackendException(
        "adapter of model '" + model.ref + "' (" + model.adapter.getClass().getName()
            + ") failed with an undocumented exception: " + MessageText.escape(model.spec.secrets().redact(e.toString()))
            + "; report this to its authors",
        model.ref.id(), false, model.spec.secrets().scrub(e));
  }

  private static OverloadedException rejected(GenerateRequest request, RejectedExecutionException e) {
    return new OverloadedException(
        "the executor refused the request" + request.model().map(m -> " for model '" + m + "'").orElse("")
            + " (it is shut down or full); retry later or give the manager a larger executor",
        request.model().orElse(null), e);
  }

  // ---- registry -----------------------------------------------------------------------------

  @Override
  public ModelRef resolve(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    RegisteredModel m = registry.find(model);
    if (m == null) {
      throw registry.unknown(model);
    }
    return m.ref;
  }

  @Override
  public ModelRef register(ModelSpec spec) {
    Objects.requireNonNull(spec, "spec");
    checkOpen();
    ModelAdapter adapter = factories.create(spec);
    RegisteredModel model = new RegisteredModel(spec, adapter, sequence.incrementAndGet());
    try {
      registry.add(model);
    } catch (RuntimeException e) {
      adapter.close();
      throw e;
    }
    log.debug("registered model {} ({})", spec.ref(), spec.type());
    return spec.ref();
  }

  @Override
  public List<ModelRef> unregister(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    List<RegisteredModel> removed = registry.remove(model);
    List<ModelRef> refs = new ArrayList<>(removed.size());
    for (RegisteredModel m : removed) {
      drainAndClose(m);
      refs.add(m.ref);
    }
    return refs;
  }

  private void drainAndClose(RegisteredModel m) {
    draining.add(m);
    m.startDraining();
    boolean interrupted = false;
    while (true) {
      try {
        m.drained().get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (java.util.concurrent.ExecutionException e) {
        break; // never completed exceptionally
      }
    }
    scheduler.remove(m);
    draining.remove(m);
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
    release(acquire(GenerateRequest.builder().model(model).prompt("").build(), false));
  }

  @Override
  public CompletableFuture<Void> preload(String model) {
    if (model == null) {
      return CompletableFuture.failedFuture(new NullPointerException("model"));
    }
    if (closed.get()) {
      return CompletableFuture.failedFuture(closedError());
    }
    RegisteredModel m = registry.find(model);
    if (m == null) {
      return CompletableFuture.failedFuture(registry.unknown(model));
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
    m.pinned = true;
    return scheduler.preload(m);
  }

  @Override
  public void unpin(String model) {
    Objects.requireNonNull(model, "model");
    checkOpen();
    find(model).pinned = false;
  }

  @Override
  public List<io.modelmux.PoolStatus> pools() {
    checkOpen();
    return scheduler.pools();
  }

  private RegisteredModel find(String model) {
    RegisteredModel m = registry.find(model);
    if (m == null) {
      throw registry.unknown(model);
    }
    return m;
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

  private ModelStatus status(ModelRegistry.Snapshot s, RegisteredModel m) {
    TreeSet<String> aliases = new TreeSet<>();
    s.aliases.forEach(
        (alias, target) -> {
          if (s.byName.get(alias) == m) {
            aliases.add(alias);
          }
        });
    Footprint f = m.footprint();
    long last = m.lastUsedMillis;
    return new ModelStatus(
        m.ref,
        m.spec.type(),
        m.state(),
        s.byName.get(m.ref.id()) == m,
        s.defaultModel == m,
        new ArrayList<>(aliases),
        m.spec.tags(),
        m.inFlight(),
        m.requests.sum(),
        m.failures.sum(),
        m.loads,
        last < 0 ? null : Instant.ofEpochMilli(last),
        f.totalBytes(),
        f.isMeasured(),
        m.tier,
        m.charged,
        m.pinned,
        m.evictions,
        m.lastLoadTime);
  }

  @Override
  public ModelFactories factories() {
    checkOpen();
    return factories;
  }

  private void checkOpen() {
    if (closed.get()) {
      throw closedError();
    }
  }

  private static IllegalStateException closedError() {
    return new IllegalStateException("this MultiModelManager is closed; build a new one");
  }

  /**
   * Returns the failure of a stream that was accepted before {@link #close()} and reached its
   * turn after it: not retryable, with the closed manager's error as its cause.
   */
  private static ModelMuxException closedWhileWaiting(IllegalStateException closed) {
    return new ModelMuxException("the MultiModelManager was closed before the request was served; build a new one", closed);
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (RegisteredModel m : registry.snapshot().models) {
      try {
        registry.remove(m.ref.toString());
      } catch (UnknownModelException e) {
        continue; // removed by a concurrent unregister, which closes it
      }
      drainAndClose(m);
    }
    scheduler.close();
    if (ownsExecutor) {
      executor.shutdown();
      try {
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
          log.warn("worker threads still running 10 s after close; interrupting them");
          executor.shutdownNow();
        }
      } catch (InterruptedException e) {
        executor.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    log.debug("closed");
  }

  private static ThreadFactory daemonThreads() {
    int manager = MANAGERS.incrementAndGet();
    AtomicInteger count = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "modelmux-" + manager + "-worker-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
