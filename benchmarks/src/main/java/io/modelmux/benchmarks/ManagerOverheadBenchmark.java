package io.modelmux.benchmarks;

import io.modelmux.BreakerPolicy;
import io.modelmux.CacheConfig;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.MultiModelManager;
import io.modelmux.RequestListener;
import io.modelmux.RetryPolicy;
import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the whole manager adds around an adapter: {@code generate} through the request path
 * (plan, guard, lease, adapter, record, release, the response) against calling the same loaded
 * no-op adapter directly ({@link #baseline()}). Two models: {@code plain} with its guard off
 * (no breaker, no retry, no limit) and {@code guarded} with a breaker, the retry and a
 * concurrency limit. Goals: the manager at most 1 µs and 1 KB allocated per request more than
 * the baseline (issue 10); the guard at most 300 ns more than the plain path (issue 11); the
 * metrics at most 150 ns and no allocation more than the path without them, a cache hit on a
 * 1 KB prompt at most 2 µs (issue 13). Run
 * with {@code -prof gc} for the allocation, and {@code -t 2} for two threads.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class ManagerOverheadBenchmark {
  private MultiModelManager manager;
  private MultiModelManager cached;
  private MultiModelManager listened;
  private ModelAdapter adapter;
  private GenerateRequest cachedRequest;
  private char[] cachedPrompt;
  private final io.modelmux.internal.observe.ModelMeters meters = new io.modelmux.internal.observe.ModelMeters();
  private GenerateResponse answered;
  private GenerateRequest plainRequest;
  private GenerateRequest guardedRequest;

  /** Builds a manager with the two no-op models, loads them, and a third adapter to call directly. */
  @Setup(Level.Trial)
  public void setUp() {
    ModelSpec plain =
        ModelSpec.builder("plain", NoopModelFactory.TYPE).retry(RetryPolicy.none()).circuitBreaker(BreakerPolicy.disabled()).build();
    ModelSpec guarded =
        ModelSpec.builder("guarded", NoopModelFactory.TYPE).retry(RetryPolicy.defaults()).circuitBreaker(BreakerPolicy.defaults())
            .maxConcurrency(64).build();
    manager =
        MultiModelManager.builder().factories(ModelFactories.none()).factory(new NoopModelFactory())
            .environment(name -> null).model(plain).model(guarded).build();
    manager.load("plain");
    manager.load("guarded");
    cached = MultiModelManager.builder().factories(ModelFactories.none()).factory(new NoopModelFactory())
        .environment(name -> null).model(plain).cache(new CacheConfig(10_000, Duration.ofHours(1))).build();
    StringBuilder kb = new StringBuilder();
    while (kb.length() < 1024) {
      kb.append("To be, or not to be, that is the question. ");
    }
    cachedRequest = GenerateRequest.builder().model("plain").prompt(kb.substring(0, 1024)).temperature(0).build();
    cachedPrompt = kb.substring(0, 1024).toCharArray();
    cached.generate(cachedRequest); // kept: every later call is a hit
    listened = MultiModelManager.builder().factories(ModelFactories.none()).factory(new NoopModelFactory())
        .environment(name -> null).model(plain).requestListener(new RequestListener() {}).build();
    listened.load("plain");
    adapter = new NoopModelFactory().create(plain);
    adapter.load();
    plainRequest = GenerateRequest.of("plain", "hi");
    guardedRequest = GenerateRequest.of("guarded", "hi");
    answered = manager.generate(plainRequest);
  }

  /** Closes both. */
  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
    cached.close();
    listened.close();
    adapter.close();
  }

  /** The floor: the adapter called directly. */
  @Benchmark
  public Completion baseline() {
    return adapter.generate(plainRequest);
  }

  /** The same request through the manager, to a model whose guard is off. */
  @Benchmark
  @Goal(maxOver = 1_000, maxAllocatedOver = 1_024)
  @Goal(against = "managerWithoutMeters", maxOver = 150)
  public GenerateResponse manager() {
    return manager.generate(plainRequest);
  }

  /**
   * The plain request with the record stage's figures off ({@code -Dmodelmux.meters=off}): what
   * {@link #manager()} costs more is what the metrics cost (issue 13: at most 150 ns, no
   * allocation).
   */
  @Benchmark
  @Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dmodelmux.meters=off"})
  @Goal(against = "manager")
  public GenerateResponse managerWithoutMeters() {
    return manager.generate(plainRequest);
  }

  /**
   * What the record stage writes for one answered request, alone: a model's three histograms and
   * its counters, from a response with usage and a time to first token. Allocates nothing.
   */
  @Benchmark
  @Goal(maxAllocated = 0.5)
  public io.modelmux.internal.observe.ModelMeters recordOnly() {
    meters.served(200, answered);
    return meters;
  }

  /** A deterministic 1 KB request the response cache answers (issue 13: at most 2 µs). */
  @Benchmark
  @Goal(maxScore = 2_000)
  public GenerateResponse cacheHit1Kb() {
    return cached.generate(cachedRequest);
  }

  /**
   * The same hit for a request made anew, its 1 KB prompt a new string (as a caller's would be):
   * the request built and the prompt hashed each time.
   */
  @Benchmark
  @Goal(maxScore = 2_000)
  public GenerateResponse cacheHit1KbNewRequest() {
    return cached.generate(GenerateRequest.builder().model("plain").prompt(new String(cachedPrompt)).temperature(0).build());
  }

  /** The plain request to a manager with one request listener that does nothing: the events' cost. */
  @Benchmark
  @Goal(against = "manager")
  public GenerateResponse withListener() {
    return listened.generate(plainRequest);
  }

  /** The same request to a model with a circuit breaker, the retry and a concurrency limit. */
  @Benchmark
  @Goal(against = "manager", maxOver = 300)
  public GenerateResponse guarded() {
    return manager.generate(guardedRequest);
  }
}
