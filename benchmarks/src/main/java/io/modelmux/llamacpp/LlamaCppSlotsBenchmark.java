package io.modelmux.llamacpp;

import io.modelmux.GenerateRequest;
import io.modelmux.MultiModelManager;
import io.modelmux.benchmarks.Goal;
import io.modelmux.spi.ModelSpec;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * 8 concurrent clients of the shipped tiny GGUF through ModelMux, with 8 llama.cpp slots
 * (continuous batching: the slots' tokens decoded in one batch per step) against 1 slot (the
 * requests decode one after another). Each operation is one request of {@value #TOKENS}
 * sampled tokens with its own prompt and seed. Goal: 8 slots at 4× the requests per second of 1.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 4, time = 5)
@State(Scope.Benchmark)
public class LlamaCppSlotsBenchmark {
  static final int TOKENS = 64;
  private static final String[] PROMPTS = {
    "ROMEO:\n", "JULIET:\n", "HAMLET:\n", "KING LEAR:\n", "First Citizen:\n", "MACBETH:\n", "OTHELLO:\n", "PORTIA:\n"
  };

  /** llama.cpp's parallel slots: {@code 1} (the baseline) or {@code 8}. */
  @Param({"1", "8"})
  public int slots;

  private MultiModelManager manager;
  private final AtomicInteger next = new AtomicInteger();

  /** Loads the model with that many slots. */
  @Setup(Level.Trial)
  public void setUp() {
    manager =
        MultiModelManager.builder()
            .environment(name -> null)
            .model(ModelSpec.builder("gguf", "llamacpp").option("path", "classpath:/models/tiny-lm.gguf")
                .option("parallel", slots).device("cpu").build())
            .build();
    manager.load("gguf");
  }

  /** Frees it. */
  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
  }

  /** One request from one of 8 clients. */
  @Benchmark
  @Threads(8)
  @Goal(againstParam = "slots=1", minRatio = 4)
  public String clients8() {
    int i = next.getAndIncrement();
    return manager
        .generate(GenerateRequest.builder().model("gguf").prompt(PROMPTS[i % PROMPTS.length]).temperature(0.8).seed(i)
            .maxTokens(TOKENS).build())
        .text();
  }
}
