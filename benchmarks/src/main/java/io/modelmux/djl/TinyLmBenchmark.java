package io.modelmux.djl;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.modelmux.GenerateRequest;
import io.modelmux.MultiModelManager;
import io.modelmux.spi.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * Tokens per second of the shipped tiny LM, one client: greedy decoding of {@value #TOKENS}
 * tokens through {@link MultiModelManager#generate} against {@link #baseline()}, the same DJL
 * calls made directly (the model's decoder and an argmax loop, no ModelMux around them). Each
 * operation is one whole generation, so tokens/s = {@value #TOKENS} × ops/s. Goal: ModelMux at
 * 97 % of the baseline or better.
 *
 * <p>Lives in package {@code io.modelmux.djl} to reach the adapter's package-private decoder.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@State(Scope.Benchmark)
public class TinyLmBenchmark {
  static final int TOKENS = 64;
  static final String PROMPT = "ROMEO:\n";

  private Path extracted;
  private TinyLm direct;
  private int[] prompt;
  private MultiModelManager viaModelMux;
  private GenerateRequest request;

  /** Loads the model twice: once bare, once behind a manager. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    extracted = Files.createTempDirectory("tiny-lm-bench");
    for (String f : List.of(TinyLmConfig.FILE, TinyLmConfig.PARAMS_PREFIX + "-0000.params")) {
      try (var in = TinyLmBenchmark.class.getResourceAsStream("/models/tiny-lm/" + f)) {
        Files.copy(in, extracted.resolve(f));
      }
    }
    PyTorchEngine.start("bench");
    direct = TinyLm.load(extracted, TinyLm.readConfig(extracted, "bench"), Device.cpu(), DataType.FLOAT32, "bench");
    prompt = new ByteTokenizer().encode(PROMPT);
    viaModelMux =
        MultiModelManager.builder()
            .environment(name -> null)
            .model(
                ModelSpec.builder("tiny-lm", "djl")
                    .option("path", "classpath:/models/tiny-lm")
                    .option("max_batch_size", 1)
                    .device("cpu")
                    .build())
            .build();
    request = GenerateRequest.builder().model("tiny-lm").prompt(PROMPT).temperature(0).maxTokens(TOKENS).build();
    viaModelMux.load("tiny-lm");
    if (!viaModelMux.generate(request).text().equals(decodeDirect())) {
      throw new IllegalStateException("ModelMux and the direct loop disagree: not the same work");
    }
  }

  /** Frees both models. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    viaModelMux.close();
    direct.close();
    try (Stream<Path> files = Files.walk(extracted)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** The floor: the model's own decoder, greedy, with text decoding, and nothing else. */
  @Benchmark
  public String baseline() {
    return decodeDirect();
  }

  private String decodeDirect() {
    TextTokenizer.Detokenizer text = new ByteTokenizer().newDetokenizer();
    StringBuilder out = new StringBuilder();
    try (CausalLm.Decoder d = direct.start(List.of(prompt))) {
      for (int i = 0; i < TOKENS; i++) {
        int next = Sampler.argMax(d.logits()[0], direct.vocabSize());
        out.append(text.push(next));
        if (i < TOKENS - 1) {
          d.advance(new int[] {next});
        }
      }
    }
    return out.append(text.flush()).toString();
  }

  /** The same generation through the manager: resolve, lease, adapter, sampler, stop check. */
  @Benchmark
  @Goal(minRatio = 0.97)
  public String modelMux() {
    return viaModelMux.generate(request).text();
  }
}
