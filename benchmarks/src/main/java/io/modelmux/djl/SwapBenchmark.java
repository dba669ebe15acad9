package io.modelmux.djl;

import io.modelmux.GenerateRequest;
import io.modelmux.MemoryConfig;
import io.modelmux.MultiModelManager;
import io.modelmux.benchmarks.Goal;
import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelAdapter;
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
 * One evict-and-load cycle between two real tiny LMs under a budget that holds one: each
 * operation asks for the model that is not resident, so the scheduler evicts the other, loads
 * this one (measured, its warm-up included) and serves one token. The floor ({@link
 * #baseline()}) is the same work on a bare adapter: load, warm-up, one token, unload.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@State(Scope.Benchmark)
public class SwapBenchmark {
  private MultiModelManager manager;
  private ModelAdapter bare;
  private GenerateRequest toA;
  private GenerateRequest toB;
  private GenerateRequest one;
  private boolean flip;

  private static ModelSpec spec(String id) {
    // declared at 40 MB (it measures about 13 MB unbatched): two never fit the 60 MB budget
    return ModelSpec.builder(id, "djl").option("path", "classpath:/models/tiny-lm").option("max_batch_size", 1)
        .device("cpu").memoryBytes(40_000_000).keepAlive(java.time.Duration.ofMinutes(10)).build();
  }

  /** Two models under a budget for one, and a bare adapter. */
  @Setup(Level.Trial)
  public void setUp() {
    manager = MultiModelManager.builder().environment(name -> null)
        .memory(MemoryConfig.builder().budget("60MB").headroom("0").build())
        .model(spec("a")).model(spec("b")).build();
    toA = GenerateRequest.builder().model("a").prompt("ROMEO:").maxTokens(1).temperature(0).build();
    toB = GenerateRequest.builder().model("b").prompt("ROMEO:").maxTokens(1).temperature(0).build();
    one = GenerateRequest.builder().prompt("ROMEO:").maxTokens(1).temperature(0).build();
    manager.generate(toA);
    manager.generate(toB);
    if (manager.model("a").orElseThrow().tier() != io.modelmux.Tier.COLD) {
      throw new IllegalStateException("the budget held both models: an operation would not be a swap");
    }
    bare = new DjlModelFactory().create(spec("bare"));
    bare.prepare();
  }

  /** Frees both. */
  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
    bare.close();
  }

  /** The floor: the same load, warm-up, token and unload on a bare adapter. */
  @Benchmark
  public Completion baseline() {
    bare.load();
    bare.warmUp();
    Completion c = bare.generate(one);
    bare.unload();
    return c;
  }

  /** One swap: the resident model is evicted and the other loaded and asked for a token. */
  @Benchmark
  @Goal(maxRatio = 1.5)
  public String evictAndLoad() {
    flip = !flip;
    return manager.generate(flip ? toB : toA).text();
  }
}
