package io.modelmux.djl;

import io.modelmux.GenerateRequest;
import io.modelmux.MultiModelManager;
import io.modelmux.spi.ModelSpec;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the shipped tiny LM with 8 concurrent clients, dynamic batching on
 * ({@code max_batch_size: 8}) against off ({@code max_batch_size: 1}: requests decode one at a
 * time on the model's thread). Each operation is one request of {@value #TOKENS} sampled
 * tokens with its own prompt and seed, from 1, 4 or 8 concurrent clients. Goals: with 8
 * clients batching at 3× the requests per second of {@code off}, with 4 at 2×, and with one
 * client not slower (within 10 %).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 4, time = 5)
@State(Scope.Benchmark)
public class BatchingBenchmark {
  static final int TOKENS = 32;
  private static final String[] PROMPTS = {
    "ROMEO:\n", "JULIET:\n", "HAMLET:\n", "KING LEAR:\n", "First Citizen:\n", "MACBETH:\n", "OTHELLO:\n", "PORTIA:\n"
  };

  /** {@code on} (batches of up to 8) or {@code off} (the baseline). */
  @Param({"off", "on"})
  public String batching;

  private MultiModelManager manager;
  private final AtomicInteger next = new AtomicInteger();

  /** Loads the model with batching on or off. */
  @Setup(Level.Trial)
  public void setUp() {
    manager =
        MultiModelManager.builder()
            .environment(name -> null)
            .model(
                ModelSpec.builder("tiny-lm", "djl")
                    .option("path", "classpath:/models/tiny-lm")
                    .option("max_batch_size", batching.equals("on") ? 8 : 1)
                    .option("max_batch_delay", "5ms")
                    .device("cpu")
                    .build())
            .build();
    manager.load("tiny-lm");
  }

  /** Frees the model. */
  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
  }

  /** One request from the one client: batching cannot help, and must not hurt. */
  @Benchmark
  @Threads(1)
  @Goal(againstParam = "batching=off", minRatio = 0.9)
  public String clients1() {
    return request();
  }

  /** One request from one of 4 clients. */
  @Benchmark
  @Threads(4)
  @Goal(againstParam = "batching=off", minRatio = 2)
  public String clients4() {
    return request();
  }

  /** One request from one of 8 clients. */
  @Benchmark
  @Threads(8)
  @Goal(againstParam = "batching=off", minRatio = 3)
  public String clients8() {
    return request();
  }

  private String request() {
    int i = next.getAndIncrement();
    return manager
        .generate(
            GenerateRequest.builder()
                .model("tiny-lm")
                .prompt(PROMPTS[i % PROMPTS.length])
                .temperature(0.8)
                .seed(i)
                .maxTokens(TOKENS)
                .build())
        .text();
  }
}
