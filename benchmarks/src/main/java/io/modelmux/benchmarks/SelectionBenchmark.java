package io.modelmux.benchmarks;

import io.modelmux.GenerateRequest;
import io.modelmux.ModelRef;
import io.modelmux.MultiModelManager;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of resolving a model name to a registered model through
 * {@link MultiModelManager#resolve(String)}: by id, by {@code id@version}, by alias, and from a
 * request's {@link GenerateRequest#model()}. The design asks that selection stay a few map
 * lookups (goal: at most 100 ns per resolution); {@link #baseline()} is the floor, one
 * {@link HashMap#get} of the same key in a map holding the same names as the manager's.
 *
 * <p>The manager holds {@link #models} {@code noop} models, {@code model-0@1} to
 * {@code model-<n-1>@1}, and the alias {@code prod} for the middle one; every benchmark resolves
 * the middle one. The models are never loaded: resolution does not touch the adapter.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class SelectionBenchmark {
  private static final String VERSION = "1";
  private static final String ALIAS = "prod";

  /** How many models are registered. */
  @Param({"10", "1000", "10000"})
  public int models;

  private MultiModelManager manager;
  private Map<String, Object> plainMap;
  private String id;
  private String idAtVersion;
  private String alias;
  private GenerateRequest request;

  /** Builds the manager and the plain map, and checks that every name resolves as expected. */
  @Setup(Level.Trial)
  public void setUp() {
    int middle = models / 2;
    MultiModelManager.Builder builder =
        MultiModelManager.builder()
            .factories(ModelFactories.none())
            .factory(new NoopModelFactory())
            // Hermetic: MODELMUX_DEFAULT_MODEL in the shell must not change what is measured.
            .environment(name -> null);
    for (int i = 0; i < models; i++) {
      builder.model(ModelSpec.builder("model-" + i, NoopModelFactory.TYPE).version(VERSION).build());
    }
    manager = builder.alias(ALIAS, "model-" + middle + "@" + VERSION).build();

    // The names the registry's snapshot holds: each id, each id@version, and the alias. Built
    // like the snapshot (a default-sized HashMap), with values that are never read.
    plainMap = new HashMap<>();
    for (int i = 0; i < models; i++) {
      Object value = new Object();
      plainMap.put("model-" + i, value);
      plainMap.put("model-" + i + "@" + VERSION, value);
    }
    plainMap.put(ALIAS, plainMap.get("model-" + middle));

    // Fresh String instances, as a caller's would be: equals() compares characters, not
    // references.
    id = "model-" + middle;
    idAtVersion = "model-" + middle + "@" + VERSION;
    alias = new String(ALIAS.toCharArray());
    request = GenerateRequest.of(id, "hello");

    ModelRef expected = new ModelRef(id, VERSION);
    check(manager.resolve(id), expected, id);
    check(manager.resolve(idAtVersion), expected, idAtVersion);
    check(manager.resolve(alias), expected, alias);
    if (plainMap.get(id) == null) {
      throw new IllegalStateException("the plain map does not hold '" + id + "'");
    }
  }

  private static void check(ModelRef actual, ModelRef expected, String name) {
    if (!actual.equals(expected)) {
      throw new IllegalStateException(
          "'" + name + "' resolved to " + actual + ", expected " + expected);
    }
  }

  /** Closes the manager. */
  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
  }

  /** The floor: one {@link HashMap#get} of the id in a map of the same names. */
  @Benchmark
  public Object baseline() {
    return plainMap.get(id);
  }

  /** Resolves a bare id (its primary version). */
  @Benchmark
  @Goal(maxScore = 100)
  public ModelRef byId() {
    return manager.resolve(id);
  }

  /** Resolves {@code id@version}. */
  @Benchmark
  @Goal(maxScore = 100)
  public ModelRef byIdAtVersion() {
    return manager.resolve(idAtVersion);
  }

  /** Resolves an alias. */
  @Benchmark
  @Goal(maxScore = 100)
  public ModelRef byAlias() {
    return manager.resolve(alias);
  }

  /** Takes the name from a prebuilt request, as the request path does, then resolves it. */
  @Benchmark
  @Goal(maxScore = 100)
  public ModelRef byRequest() {
    return manager.resolve(request.model().orElseThrow());
  }
}
