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
 * 8 concurrent clients of a GGUF model through ModelMux, with 8 llama.cpp slots
 * (continuous batching: the slots' tokens decoded in one batch per step) against 1 slot (the
 * requests decode one after another). Each operation is one request of {@value #TOKENS}
 * sampled tokens with its own prompt and seed. Goal: 8 slots at 4× the requests per second of 1.
 *
 * <p>Two models: {@code tiny}, the shipped tiny GGUF (0.84 M parameters: a token costs llama.cpp
 * more bookkeeping than arithmetic), and {@code wide}, a GPT-2 of the same vocabulary with
 * random weights, 8 layers of width 512 (25 M parameters, 101 MB in float32), written by
 * {@link GgufWriter} at setup: its tokens cost arithmetic and reading the weights, which a batch
 * of slots shares. Its answers are noise; only their speed is measured. The suite runs
 * {@code tiny}; {@code -p model=tiny,wide} runs both.
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

  /**
   * {@code tiny} (the shipped GGUF), or {@code wide} (random weights, 25 M parameters), which
   * runs when asked, {@code -p model=tiny,wide}: it takes a minute more than the suite's smoke
   * run has room for.
   */
  @Param({"tiny"})
  public String model;

  private java.nio.file.Path wideFile;

  private MultiModelManager manager;
  private final AtomicInteger next = new AtomicInteger();

  /** Loads the model with that many slots. */
  @Setup(Level.Trial)
  public void setUp() throws java.io.IOException {
    String path = "classpath:/models/tiny-lm.gguf";
    if (model.equals("wide")) {
      wideFile = java.nio.file.Files.createTempFile("wide-", ".gguf");
      try (java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(wideFile))) {
        wide(512, 8, 128).write(out);
      }
      path = wideFile.toString();
    }
    manager =
        MultiModelManager.builder()
            .environment(name -> null)
            .model(ModelSpec.builder("gguf", "llamacpp").option("path", path)
                .option("parallel", slots).device("cpu").build())
            .build();
    manager.load("gguf");
  }

  /** A GPT-2 of the tiny LM's vocabulary and context, {@code d} wide and {@code layers} deep, random weights. */
  static GgufWriter wide(int d, int layers, int context) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(42);
    int vocab = 256;
    int ff = 4 * d;
    GgufWriter w = new GgufWriter()
        .put("general.architecture", "gpt2")
        .put("general.name", "wide-random")
        .put("gpt2.context_length", new GgufWriter.UInt32(context))
        .put("gpt2.embedding_length", new GgufWriter.UInt32(d))
        .put("gpt2.feed_forward_length", new GgufWriter.UInt32(ff))
        .put("gpt2.block_count", new GgufWriter.UInt32(layers))
        .put("gpt2.attention.head_count", new GgufWriter.UInt32(d / 64))
        .put("gpt2.attention.layer_norm_epsilon", 1e-5f)
        .put("tokenizer.ggml.model", "gpt2")
        .put("tokenizer.ggml.pre", "gpt-2")
        .put("tokenizer.ggml.tokens", TinyLmToGguf.byteTokens())
        .put("tokenizer.ggml.token_type", java.util.Collections.nCopies(vocab, 1))
        .put("tokenizer.ggml.merges", java.util.List.of(TinyLmToGguf.UNUSED_MERGE))
        .put("tokenizer.ggml.eos_token_id", new GgufWriter.UInt32(TinyLmToGguf.EOS))
        .put("tokenizer.ggml.add_bos_token", false);
    w.tensor("token_embd.weight", noise(random, vocab * d), vocab, d);
    w.tensor("position_embd.weight", noise(random, context * d), context, d);
    for (int l = 0; l < layers; l++) {
      String b = "blk." + l + ".";
      w.tensor(b + "attn_norm.weight", ones(d), d);
      w.tensor(b + "attn_norm.bias", new float[d], d);
      w.tensor(b + "attn_qkv.weight", noise(random, 3 * d * d), 3 * d, d);
      w.tensor(b + "attn_qkv.bias", new float[3 * d], 3 * d);
      w.tensor(b + "attn_output.weight", noise(random, d * d), d, d);
      w.tensor(b + "attn_output.bias", new float[d], d);
      w.tensor(b + "ffn_norm.weight", ones(d), d);
      w.tensor(b + "ffn_norm.bias", new float[d], d);
      w.tensor(b + "ffn_up.weight", noise(random, ff * d), ff, d);
      w.tensor(b + "ffn_up.bias", new float[ff], ff);
      w.tensor(b + "ffn_down.weight", noise(random, d * ff), d, ff);
      w.tensor(b + "ffn_down.bias", new float[d], d);
    }
    w.tensor("output_norm.weight", ones(d), d);
    w.tensor("output_norm.bias", new float[d], d);
    w.tensor("output.weight", noise(random, vocab * d), vocab, d);
    return w;
  }

  private static float[] noise(java.util.SplittableRandom random, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (random.nextDouble() - 0.5) * 0.04f;
    }
    return a;
  }

  private static float[] ones(int n) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, 1f);
    return a;
  }

  /** Frees it. */
  @TearDown(Level.Trial)
  public void tearDown() throws java.io.IOException {
    manager.close();
    if (wideFile != null) {
      java.nio.file.Files.deleteIfExists(wideFile);
    }
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
