package io.modelmux.internal.memory;

import io.modelmux.Hardware;
import io.modelmux.MemoryConfig;
import io.modelmux.benchmarks.NoopModelFactory;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.spi.ModelSpec;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import io.modelmux.benchmarks.Goal;
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
 * What every request on a resident model pays the memory scheduler: take a lease (one
 * compare-and-set), record the access (for eviction order and keep-alive), and return the lease
 * (one decrement, plus the idle check). {@link #baseline()} is an atomic increment and
 * decrement, the least any counted lease could cost. Goal: at most 100 ns.
 *
 * <p>Lives in {@code io.modelmux.internal.memory}, beside the scheduler it measures.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class LeaseBenchmark {
  private MemoryScheduler scheduler;
  private RegisteredModel model;
  private final AtomicInteger counter = new AtomicInteger();

  /** Makes one model resident. */
  @Setup(Level.Trial)
  public void setUp() {
    scheduler =
        new MemoryScheduler(
            MemoryConfig.defaults(), new Hardware(1L << 34, List.of(), false), null,
            MemoryScheduler.Settings.DEFAULTS, Clock.systemUTC());
    ModelSpec spec = ModelSpec.builder("m", "noop").build();
    model = new RegisteredModel(spec, new NoopModelFactory().create(spec), 1, java.time.Clock.systemUTC());
    Lease lease = scheduler.lease(model, null);
    if (lease == null) {
      throw new IllegalStateException("could not load the model");
    }
    lease.close();
  }

  /** Stops the scheduler's threads. */
  @TearDown(Level.Trial)
  public void tearDown() {
    scheduler.remove(model, Long.MAX_VALUE);
    scheduler.close();
  }

  /** The floor: one atomic increment and one decrement. */
  @Benchmark
  public int baseline() {
    counter.incrementAndGet();
    return counter.decrementAndGet();
  }

  /** One lease on the resident model, as the request path takes and returns it. */
  @Benchmark
  @Goal(maxScore = 100)
  public Lease acquireAndRelease() {
    Lease lease = scheduler.tryLease(model);
    if (lease == null) {
      throw new IllegalStateException("the model left memory");
    }
    lease.close();
    return lease;
  }
}
