package io.modelmux.llamacpp;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import io.modelmux.GenerateRequest;
import io.modelmux.MultiModelManager;
import io.modelmux.benchmarks.Goal;
import io.modelmux.spi.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One client's tokens per second from the shipped tiny GGUF: through ModelMux ({@code type:
 * llamacpp}: the manager, then the adapter's runner process over its socket) against
 * java-llama.cpp called directly in this JVM with the same settings (the floor), and the same
 * weights on DJL for comparison. Each operation is one greedy request of {@value #TOKENS} tokens
 * (the model never ends early: it has no end-of-text token it would choose), so operations per
 * second × {@value #TOKENS} is tokens per second. Goals: ModelMux at 97 % of direct or better,
 * for a whole answer ({@code complete}) and for a stream.
 * llama.cpp decodes on one thread in both ({@link #THREADS}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 8, time = 5)
@Threads(1)
public class LlamaCppBenchmark {
  static final int TOKENS = 64;
  /**
   * llama.cpp's threads, for both: one, so that its spinning workers do not take the second core
   * from the client's and the runner's threads (with two, the direct figures wandered from 1.7
   * to 2.8 requests/s between iterations).
   */
  static final int THREADS = 1;
  private static final String[] PROMPTS = {
    "ROMEO:\n", "JULIET:\n", "HAMLET:\n", "KING LEAR:\n", "First Citizen:\n", "MACBETH:\n", "OTHELLO:\n", "PORTIA:\n"
  };

  private static final AtomicInteger next = new AtomicInteger();

  /** java-llama.cpp in this JVM, on the shipped GGUF copied to a file. */
  @State(Scope.Benchmark)
  public static class Direct {
    Path file;
    LlamaModel model;

    /** Loads it. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      file = Files.createTempFile("tiny-lm-", ".gguf");
      try (InputStream in = LlamaCppBenchmark.class.getResourceAsStream("/models/tiny-lm.gguf")) {
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
      // java-llama.cpp deletes every file named llama* or jllama* in its temp directory when it
      // starts: give it one of its own
      System.setProperty("de.kherud.llama.tmpdir", Files.createTempDirectory("jmh-java-llama-cpp-").toString());
      LlamaModel.setLogger(LogFormat.TEXT, (level, text) -> {});
      model = new LlamaModel(new ModelParameters().setModel(file.toString()).setCtxSize(128).setParallel(1)
          .setThreads(THREADS).setThreadsBatch(THREADS).setGpuLayers(0).disableLog());
    }

    /** Frees it. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      model.close();
      Files.deleteIfExists(file);
    }
  }

  /** A manager of one model: the GGUF through the llamacpp adapter, or the tiny LM on DJL. */
  public abstract static class Managed {
    MultiModelManager manager;

    abstract ModelSpec spec();

    /** Loads the model. */
    @Setup(Level.Trial)
    public void setUp() {
      manager = MultiModelManager.builder().environment(name -> null).model(spec()).build();
      manager.load(spec().id());
    }

    /** Frees it. */
    @TearDown(Level.Trial)
    public void tearDown() {
      manager.close();
    }

    String request(String prompt) {
      return manager
          .generate(GenerateRequest.builder().model(spec().id()).prompt(prompt).temperature(0).maxTokens(TOKENS).build())
          .text();
    }
  }

  /** The GGUF through ModelMux: the manager, the adapter, its runner process. */
  @State(Scope.Benchmark)
  public static class Mux extends Managed {
    @Override
    ModelSpec spec() {
      return ModelSpec.builder("gguf", "llamacpp").option("path", "classpath:/models/tiny-lm.gguf")
          .option("parallel", 1).option("threads", THREADS).device("cpu").build();
    }
  }

  /** The same weights on DJL. */
  @State(Scope.Benchmark)
  public static class Djl extends Managed {
    @Override
    ModelSpec spec() {
      return ModelSpec.builder("djl", "djl").option("path", "classpath:/models/tiny-lm")
          .option("max_batch_size", 1).device("cpu").build();
    }
  }

  private static String prompt() {
    return PROMPTS[next.getAndIncrement() % PROMPTS.length];
  }

  /** java-llama.cpp in this JVM: a whole answer, {@code complete}, as the runner gets one. */
  @Benchmark
  public String baseline(Direct direct) {
    return direct.model.complete(new InferenceParameters(prompt()).setNPredict(TOKENS).setTemperature(0).setCachePrompt(false));
  }

  /** java-llama.cpp in this JVM, streamed piece by piece. */
  @Benchmark
  @Goal
  public int directStreamed(Direct direct) {
    InferenceParameters p = new InferenceParameters(prompt()).setNPredict(TOKENS).setTemperature(0).setCachePrompt(false);
    int length = 0;
    for (LlamaOutput o : direct.model.generate(p)) {
      length += o.text.length();
    }
    return length;
  }

  /** ModelMux streaming it: a piece per token from the runner to the caller's listener. */
  @Benchmark
  @Goal(against = "directStreamed", minRatio = 0.97)
  public int modelmuxStreamed(Mux mux) {
    int[] length = {0};
    try (var s = mux.manager.stream(GenerateRequest.builder().model("gguf").prompt(prompt()).temperature(0).maxTokens(TOKENS).build())) {
      s.forEach(piece -> length[0] += piece.length());
    }
    return length[0];
  }

  /** The same through ModelMux: the manager, the adapter, the runner process and its socket. */
  @Benchmark
  @Goal(minRatio = 0.97)
  public String modelmux(Mux mux) {
    return mux.request(prompt());
  }

  /** The same weights on DJL (float32, no batching), for comparison. */
  @Benchmark
  @Goal
  public String djl(Djl djl) {
    return djl.request(prompt());
  }
}
