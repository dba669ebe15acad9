package io.modelmux.benchmarks;

import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.MultiModelManager;
import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
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
 * (plan, lease, adapter, record, release, the response) against calling the same loaded no-op
 * adapter directly ({@link #baseline()}). Goal (issue 10): at most 1 µs and 1 KB allocated per
 * request more than the baseline; run with {@code -prof gc} for the allocation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class ManagerOverheadBenchmark {
  private MultiModelManager manager;
  private ModelAdapter adapter;
  private GenerateRequest request;

  /** Builds a manager with one no-op model, loads it, and a second adapter to call directly. */
  @Setup(Level.Trial)
  public void setUp() {
    ModelSpec spec = ModelSpec.builder("m", NoopModelFactory.TYPE).build();
    manager =
        MultiModelManager.builder().factories(ModelFactories.none()).factory(new NoopModelFactory())
            .environment(name -> null).model(spec).build();
    manager.load("m");
    adapter = new NoopModelFactory().create(spec);
    adapter.load();
    request = GenerateRequest.of("m", "hi");
  }

  /** Closes both. */
  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
    adapter.close();
  }

  /** The floor: the adapter called directly. */
  @Benchmark
  public Completion baseline() {
    return adapter.generate(request);
  }

  /** The same request through the manager. */
  @Benchmark
  public GenerateResponse manager() {
    return manager.generate(request);
  }
}
