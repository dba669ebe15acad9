package io.modelmux.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;
import io.modelmux.BackendException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.GenerateOptions;
import io.modelmux.GenerateRequest;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelLoadException;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelInfo;
import io.modelmux.spi.PromptText;
import io.modelmux.spi.TokenSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code type: djl} model: a tiny LM or a TorchScript causal LM, in this process. Requests
 * are decoded on the model's own thread by a {@link BatchQueue}: in batches, or one at a time when
 * {@code max_batch_size} is 1.
 */
final class DjlAdapter implements io.modelmux.spi.TieredAdapter {
  private static final Logger log = LoggerFactory.getLogger(DjlAdapter.class);
  private static final String CLASSPATH = "classpath:";

  private final ModelInfo info;
  private final DjlSettings settings;
  private final String modelId;
  private final Object lock = new Object();
  private volatile @Nullable Loaded loaded; // written under lock
  private volatile boolean closed;
  private volatile boolean demoted;
  private volatile long estimate = -1;

  /** What load() made; everything here is freed by unload(). */
  private static final class Loaded {
    final CausalLm lm;
    final TextTokenizer tokenizer;
    final Generator generator;
    final BatchQueue queue;
    final @Nullable Path extracted;
    final Device device;
    final long kvCacheBytes;

    Loaded(CausalLm lm, TextTokenizer tokenizer, Generator generator, BatchQueue queue,
        @Nullable Path extracted, Device device, long kvCacheBytes) {
      this.lm = lm;
      this.tokenizer = tokenizer;
      this.generator = generator;
      this.queue = queue;
      this.extracted = extracted;
      this.device = device;
      this.kvCacheBytes = kvCacheBytes;
    }
  }

  DjlAdapter(ModelRef ref, DjlSettings settings) {
    EnumSet<Capability> caps = EnumSet.of(Capability.STREAMING);
    if (settings.maxBatchSize() > 1) {
      caps.add(Capability.BATCHING);
    }
    this.info = new ModelInfo(ref, "djl", caps);
    this.settings = settings;
    this.modelId = ref.id();
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public void load() {
    synchronized (lock) {
      checkOpen();
      if (loaded != null) {
        return;
      }
      long start = System.nanoTime();
      Engine engine = PyTorchEngine.start(modelId);
      Device device =
          DeviceSelection.select(
              settings.device(),
              engine.getGpuCount(),
              DeviceSelection.isAppleSilicon(System.getProperty("os.name", ""), System.getProperty("os.arch", "")),
              modelId);
      Path extracted = null;
      CausalLm lm = null;
      TextTokenizer tokenizer = null;
      try {
        Path location;
        if (settings.path().startsWith(CLASSPATH)) {
          extracted = Files.createTempDirectory("modelmux-" + fileNamePart(modelId) + "-");
          location = extract(settings.path().substring(CLASSPATH.length()), extracted);
        } else {
          location = userBase().resolve(settings.path());
        }
        boolean torchScript = isTorchScript(location);
        long kvBytes = 0;
        if (torchScript) {
          lm = TorchScriptLm.load(location, device, settings.dtype(), settings.contextLength(), modelId);
          tokenizer = tokenizer(userBase(), settings.tokenizer(), true);
        } else {
          TinyLmConfig config = TinyLm.readConfig(location, modelId);
          lm = TinyLm.load(location, config, device, settings.dtype(), modelId);
          tokenizer =
              settings.tokenizer() != null
                  ? tokenizer(userBase(), settings.tokenizer(), false)
                  : tokenizer(location, config.tokenizer(), false);
          kvBytes = config.kvCacheBytes(settings.maxBatchSize(), settings.dtype().getNumOfBytes());
        }
        if (tokenizer.vocabSize() > lm.vocabSize()) {
          throw new ModelLoadException(
              "model '" + modelId + "': the tokenizer has " + tokenizer.vocabSize()
                  + " tokens but the model at " + location + " has only " + lm.vocabSize()
                  + " logits; they do not belong together (tokenizer: "
                  + (settings.tokenizer() == null ? "the model's own" : settings.tokenizer()) + ")",
              modelId, null);
        }
        Generator generator = new Generator(lm, modelId);
        // Unbatched too, requests run on the model's own thread: what they allocate stays in that
        // thread's allocator arena, which the warm-up fills and the load measures, instead of
        // in the arenas of every caller thread (measured: 10 MB more than charged over 10
        // unbatched models served from 6 callers).
        BatchQueue queue = new BatchQueue(generator, settings.maxBatchSize(), settings.maxBatchDelay(), modelId);
        loaded = new Loaded(lm, tokenizer, generator, queue, extracted, device, kvBytes);
        log.info(
            "model {}: loaded {} from {} on {} ({} MB of parameters, {}) in {} ms",
            info.ref(), torchScript ? "TorchScript LM" : "tiny LM", settings.path(), device,
            String.format("%.1f", lm.parameterBytes() / 1e6),
            lm.usesKvCache() ? "KV cache" : "no KV cache",
            (System.nanoTime() - start) / 1_000_000);
      } catch (IOException e) {
        closeQuietly(lm, tokenizer, extracted);
        throw new ModelLoadException(
            "model '" + modelId + "': could not read " + settings.path() + ": " + e, modelId, e);
      } catch (RuntimeException e) {
        closeQuietly(lm, tokenizer, extracted);
        if (e instanceof ModelMuxException) {
          throw e;
        }
        throw new ModelLoadException(
            "model '" + modelId + "': loading " + settings.path() + " failed: " + e, modelId, e);
      }
    }
  }

  /** The model's weights and work live in this process, in libtorch's native memory. */
  @Override
  public boolean residentInProcess() {
    return true;
  }

  /** Starts the PyTorch engine (its native libraries, its thread pools), which all models share. */
  @Override
  public void prepare() {
    checkOpen();
    PyTorchEngine.start(modelId);
  }

  /** The most tokens the warm-up's second batch decodes, from one token up. */
  static final int WARM_UP_SWEEP = 64;

  /**
   * Runs, on the model's own thread (whose allocator arena then already holds that work, as it
   * will for every request), two batches of {@code max_batch_size} rows: one at the largest
   * shape the model will see (each row a prompt of the full context less one token, then one
   * decode step at the full context), then one that decodes from a single token up to {@link
   * #WARM_UP_SWEEP} tokens with rows leaving one by one, so that the shapes requests bring
   * (fewer rows, shorter rows) have met the engine and the allocator before the load is
   * measured. Without the second batch a TorchScript model served mixed requests grew 1.5 MB
   * past its measured size (measured over 10 models).
   */
  @Override
  public void warmUp() {
    Loaded l = loaded;
    if (l == null) {
      throw new IllegalStateException("model '" + modelId + "' is not loaded");
    }
    long start = System.nanoTime();
    int rows = settings.maxBatchSize();
    int context = l.lm.contextLength();
    int ids = Math.max(1, Math.min(l.lm.vocabSize(), l.tokenizer.vocabSize()));
    int[] longest = new int[Math.max(1, context - 1)];
    for (int i = 0; i < longest.length; i++) {
      longest[i] = i % ids;
    }
    List<GenerationJob> peak = new java.util.ArrayList<>(rows);
    List<GenerationJob> sweep = new java.util.ArrayList<>(rows);
    int span = Math.max(1, Math.min(WARM_UP_SWEEP, context - 1));
    for (int r = 0; r < rows; r++) {
      peak.add(warmUpJob(l, longest, 2));
      sweep.add(warmUpJob(l, new int[] {r % ids}, Math.max(1, span - r * span / rows)));
    }
    runWarmUp(l, peak);
    runWarmUp(l, sweep);
    l.queue.resetLargestBatch();
    log.info("model {}: warmed up with a batch of {} at {} tokens, then 1 to {} in {} ms", info.ref(), rows, context, span,
        (System.nanoTime() - start) / 1_000_000);
  }

  private static GenerationJob warmUpJob(Loaded l, int[] prompt, int tokens) {
    return new GenerationJob(prompt, new Sampler(0, 0, 1.0, 0), tokens, -1, List.of(), l.tokenizer.newDetokenizer(), null, Long.MAX_VALUE);
  }

  /** Runs {@code jobs} as one batch on the model's thread and waits for it. */
  private void runWarmUp(Loaded l, List<GenerationJob> jobs) {
    GenerationJob lead = jobs.get(0);
    lead.companions = List.copyOf(jobs.subList(1, jobs.size()));
    l.queue.submit(lead);
    try {
      for (GenerationJob job : jobs) {
        job.result.get();
      }
    } catch (InterruptedException e) {
      jobs.forEach(GenerationJob::abandon);
      Thread.currentThread().interrupt();
      throw new ModelLoadException("model '" + modelId + "': interrupted during its warm-up", modelId, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof BackendException && e.getCause().getCause() != null ? e.getCause().getCause() : e.getCause();
      throw new ModelLoadException(
          "model '" + modelId + "' failed its warm-up, a batch of " + jobs.size() + " (max_batch_size) at its full context of "
              + l.lm.contextLength() + " tokens: " + cause + "; if the model takes fewer tokens set context_length"
              + (jobs.size() > 1 ? ", or lower max_batch_size" : ""),
          modelId, cause);
    }
  }

  private boolean isTorchScript(Path location) {
    switch (settings.format()) {
      case "torchscript":
        return true;
      case "tiny-lm":
        return false;
      default:
        if (Files.isDirectory(location)) {
          return false;
        }
        if (!Files.exists(location)) {
          throw new ModelLoadException(
              "model '" + modelId + "': " + location + " does not exist; 'path' must name a tiny LM"
                  + " directory or a TorchScript .pt file",
              modelId, null);
        }
        return true;
    }
  }

  private TextTokenizer tokenizer(Path dir, @Nullable String name, boolean torchScript) {
    if (name == null) {
      if (torchScript) {
        throw new ModelLoadException(
            "model '" + modelId + "': a TorchScript model needs a tokenizer: set 'tokenizer: byte'"
                + " or the path of its tokenizer.json",
            modelId, null);
      }
      return new ByteTokenizer();
    }
    if (name.equals("byte")) {
      return new ByteTokenizer();
    }
    Path p = Path.of(name);
    return HuggingFaceTextTokenizer.load(p.isAbsolute() ? p : dir.resolve(p), modelId, settings.eosTokenId());
  }

  /** Where paths the user wrote are relative to: the models.yaml's directory, else the working one. */
  private Path userBase() {
    return settings.baseDirectory() != null ? settings.baseDirectory() : Path.of("");
  }

  /** Copies a tiny LM directory or a single file from the class path into {@code dir}. */
  private Path extract(String resource, Path dir) throws IOException {
    String base = resource.startsWith("/") ? resource.substring(1) : resource;
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = DjlAdapter.class.getClassLoader();
    }
    if (base.endsWith(".pt")) {
      Path target = dir.resolve(Path.of(base).getFileName().toString());
      copy(loader, base, target, true);
      return target;
    }
    for (String file : List.of(TinyLmConfig.FILE, TinyLmConfig.PARAMS_PREFIX + "-0000.params")) {
      copy(loader, base + "/" + file, dir.resolve(file), true);
    }
    copy(loader, base + "/tokenizer.json", dir.resolve("tokenizer.json"), false);
    return dir;
  }

  private void copy(ClassLoader loader, String resource, Path target, boolean required) throws IOException {
    try (InputStream in = loader.getResourceAsStream(resource)) {
      if (in == null) {
        if (required) {
          throw new ModelLoadException(
              "model '" + modelId + "': class path resource " + resource + " does not exist;"
                  + " check 'path' (" + settings.path() + ")",
              modelId, null);
        }
        return;
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Override
  public void unload() {
    synchronized (lock) {
      Loaded l = loaded;
      if (l == null) {
        return;
      }
      loaded = null;
      demoted = false;
      l.queue.close();
      closeQuietly(l.lm, l.tokenizer, l.extracted);
      NativeHeap.trim(); // what the model freed goes back to the system, not to the allocator's arenas
      log.info("model {}: unloaded", info.ref());
    }
  }

  private static void closeQuietly(@Nullable CausalLm lm, @Nullable TextTokenizer tokenizer, @Nullable Path dir) {
    if (lm != null) {
      lm.close();
    }
    if (tokenizer != null) {
      tokenizer.close();
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | UncheckedIOException e) {
        log.debug("could not delete {}", dir, e);
      }
    }
  }

  @Override
  public boolean canDemote() {
    Loaded l = loaded;
    return l != null && l.lm instanceof TinyLm && l.device.isGpu();
  }

  /**
   * Parks the tiny LM's parameters in host memory, freeing the accelerator. TorchScript models
   * cannot be moved this way (DJL offers no device move for a loaded TorchScript module): they
   * are unloaded instead.
   */
  @Override
  public void demote() {
    synchronized (lock) {
      Loaded l = loaded;
      if (l == null || !(l.lm instanceof TinyLm) || demoted) {
        throw new IllegalStateException("model '" + modelId + "' is not loaded on an accelerator");
      }
      ((TinyLm) l.lm).moveTo(Device.cpu());
      demoted = true;
      log.info("model {}: parameters parked in host memory", info.ref());
    }
  }

  @Override
  public void promote() {
    synchronized (lock) {
      Loaded l = loaded;
      if (l == null || !demoted) {
        throw new IllegalStateException("model '" + modelId + "' is not parked in host memory");
      }
      ((TinyLm) l.lm).moveTo(l.device);
      demoted = false;
    }
  }

  @Override
  public boolean isDemoted() {
    return demoted;
  }

  /** Returns the loaded model, or null; for tests that check what unload frees. */
  @Nullable CausalLm modelForTests() {
    Loaded l = loaded;
    return l == null ? null : l.lm;
  }

  @Override
  public boolean isLoaded() {
    return loaded != null;
  }

  @Override
  public Completion generate(GenerateRequest request) {
    return run(request, null);
  }

  @Override
  public Completion stream(GenerateRequest request, TokenSink sink) {
    return run(request, sink);
  }

  private Completion run(GenerateRequest request, @Nullable TokenSink sink) {
    checkOpen();
    Loaded l = loaded;
    if (l == null) {
      throw new IllegalStateException("model '" + modelId + "' is not loaded");
    }
    if (l.queue.isWorker(Thread.currentThread())) {
      // a stream listener runs on the batch worker: waiting there for a batch it must run itself
      // would stop the model for good
      throw new InvalidRequestException(
          "a request to model '" + modelId + "' was made from its own batch thread (by a stream listener of that model);"
              + " it would wait for itself for ever: make the call from another thread, such as with generateAsync",
          modelId, null);
    }
    GenerationJob job = job(l, request, sink);
    l.queue.submit(job);
    return await(job);
  }

  /**
   * Waits for {@code job}'s result, for no longer than its deadline: a caller past it, or
   * interrupted (a cancelled {@code generateAsync}), gives the job up, and the batch drops it
   * at its next step.
   */
  private Completion await(GenerationJob job) {
    try {
      if (job.deadlineNanos == Long.MAX_VALUE) {
        return job.result.get();
      }
      return job.result.get(Math.max(0, job.deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ModelMuxException) {
        throw (ModelMuxException) e.getCause();
      }
      throw new BackendException("model '" + modelId + "' failed while generating: " + e.getCause(), modelId, false, e.getCause());
    } catch (TimeoutException e) {
      job.abandon();
      throw new DeadlineExceededException(
          "request to model '" + modelId + "' passed its deadline while queued or generating; it was dropped from its batch;"
              + " retry with a later deadline",
          modelId, null);
    } catch (InterruptedException e) {
      job.abandon();
      Thread.currentThread().interrupt();
      throw new ModelMuxException("request to model '" + modelId + "' was interrupted (cancelled); generation stopped", e);
    }
  }

  private GenerationJob job(Loaded l, GenerateRequest request, @Nullable TokenSink sink) {
    int[] prompt = l.tokenizer.encode(PromptText.of(request));
    if (prompt.length == 0) {
      throw new InvalidRequestException(
          "model '" + modelId + "' got an empty prompt; it needs at least one token to continue",
          modelId, null);
    }
    int context = l.lm.contextLength();
    if (prompt.length > context - 1) {
      log.warn(
          "model {}: prompt of {} tokens is longer than the context ({}); keeping its last {} tokens",
          modelId, prompt.length, context, context - 1);
      prompt = Arrays.copyOfRange(prompt, prompt.length - (context - 1), prompt.length);
    }
    GenerateOptions o = request.options();
    double temperature = o.temperature().orElse(settings.temperature());
    Sampler sampler =
        new Sampler(
            temperature,
            o.topK().orElse(settings.topK()),
            o.topP().orElse(settings.topP()),
            o.seed().orElse(ThreadLocalRandom.current().nextLong()));
    int eos = settings.eosTokenId() >= 0 ? settings.eosTokenId() : l.tokenizer.eosId();
    return new GenerationJob(
        prompt, sampler, o.maxTokens().orElse(settings.maxTokens()), eos, o.stop(),
        l.tokenizer.newDetokenizer(), sink, deadlineNanos(request));
  }

  /** Returns the request's deadline on {@link System#nanoTime()}'s scale, or {@link Long#MAX_VALUE}. */
  private static long deadlineNanos(GenerateRequest request) {
    Duration left = request.timeLeft().orElse(null);
    if (left == null) {
      return Long.MAX_VALUE;
    }
    try {
      return Math.addExact(System.nanoTime(), left.toNanos());
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE; // centuries away
    }
  }


  /** Returns the most requests decoded in one batch since the model was loaded (its warm-up aside); 0 unloaded. */
  int largestBatch() {
    Loaded l = loaded;
    return l == null ? 0 : l.queue.largestBatch();
  }

  /** Counts the prompt with the model's tokenizer, when loaded. */
  @Override
  public OptionalInt promptTokens(GenerateRequest request) {
    Loaded l = loaded;
    if (l == null) {
      return OptionalInt.empty();
    }
    try {
      return OptionalInt.of(l.tokenizer.encode(PromptText.of(request)).length);
    } catch (RuntimeException e) {
      return OptionalInt.empty(); // the request itself will say what is wrong with it
    }
  }

  /** Counts {@code text} with the model's tokenizer, when loaded. */
  @Override
  public OptionalInt countTokens(String text) {
    Loaded l = loaded;
    if (l == null) {
      return OptionalInt.empty();
    }
    try {
      return OptionalInt.of(l.tokenizer.encode(text).length);
    } catch (RuntimeException e) {
      return OptionalInt.empty();
    }
  }

  /** Returns the model's context, when loaded. */
  @Override
  public OptionalInt contextLength() {
    Loaded l = loaded;
    return l == null ? OptionalInt.empty() : OptionalInt.of(l.lm.contextLength());
  }

  @Override
  public Health health() {
    Loaded l = loaded;
    if (closed) {
      return Health.down("closed");
    }
    return l == null ? Health.unknown("not loaded") : Health.up("loaded on " + l.device);
  }

  @Override
  public Footprint footprint() {
    Loaded l = loaded;
    if (l != null && demoted) {
      return Footprint.measured(Footprint.HOST, l.lm.parameterBytes());
    }
    if (l != null) {
      return Footprint.measured(pool(l.device), l.lm.parameterBytes() + l.kvCacheBytes);
    }
    return Footprint.estimated(pool(null), estimateBytes());
  }

  private String pool(@Nullable Device device) {
    if (device == null) {
      String d = settings.device();
      return d.startsWith("cuda") ? (d.contains(":") ? d : "cuda:0") : d.equals("mps") ? Footprint.UNIFIED : Footprint.HOST;
    }
    if (device.isGpu()) {
      return "cuda:" + device.getDeviceId();
    }
    return "mps".equals(device.getDeviceType()) ? Footprint.UNIFIED : Footprint.HOST;
  }

  /** What a model takes beyond its weights and work: its share of the engine's per-model state. */
  static final long RUNTIME_BYTES = 16L << 20;

  /** What a TorchScript model's work may take per row and token of its largest batch. */
  static final long TORCHSCRIPT_BYTES_PER_TOKEN = 64L << 10;

  /**
   * Returns the estimate made before the first load, which errs on the large side (the first
   * load measures the truth): for a tiny LM, {@link #estimate(TinyLmConfig)}; for a TorchScript
   * file, twice its weights (the file's size, scaled to the dtype: the module and what its
   * optimiser compiles) plus {@link #TORCHSCRIPT_BYTES_PER_TOKEN} for each row and token of its
   * largest batch at its full context, plus {@link #RUNTIME_BYTES}. 0 when the files cannot be
   * read (the load will say why).
   */
  private long estimateBytes() {
    long e = estimate;
    if (e >= 0) {
      return e;
    }
    long bytes = 0;
    try {
      if (!settings.path().startsWith(CLASSPATH)) {
        Path p = Path.of(settings.path());
        if (!p.isAbsolute() && settings.baseDirectory() != null) {
          p = settings.baseDirectory().resolve(p);
        }
        if (Files.isDirectory(p)) {
          bytes = estimate(TinyLm.readConfig(p, modelId));
        } else if (Files.isRegularFile(p)) {
          bytes = estimateTorchScript(Files.size(p));
        }
      } else {
        String base = settings.path().substring(CLASSPATH.length());
        base = base.startsWith("/") ? base.substring(1) : base;
        ClassLoader loader = DjlAdapter.class.getClassLoader();
        boolean file = base.endsWith(".pt");
        try (InputStream in = loader.getResourceAsStream(file ? base : base + "/" + TinyLmConfig.FILE)) {
          if (in != null) {
            bytes = file
                ? estimateTorchScript(in.transferTo(java.io.OutputStream.nullOutputStream()))
                : estimate(new com.fasterxml.jackson.databind.ObjectMapper().readValue(in, TinyLmConfig.class));
          }
        }
      }
    } catch (IOException | RuntimeException ex) {
      log.debug("model {}: no size estimate: {}", modelId, ex.toString());
    }
    estimate = bytes;
    return bytes;
  }

  private long estimateTorchScript(long fileBytes) {
    long weights = fileBytes * settings.dtype().getNumOfBytes() / 4;
    return 2 * weights + (long) settings.maxBatchSize() * settings.contextLength() * TORCHSCRIPT_BYTES_PER_TOKEN + RUNTIME_BYTES;
  }

  /**
   * A tiny LM's estimate: its parameters, its KV cache at its full size for a full batch, the
   * work of one layer of a full batch's prefill at the full context (the decoder frees each
   * layer's before the next: about 32 {@code [B,T,D]} and 4 {@code [B,H,T,T]} arrays) with the
   * logits, parameters cast once more when the dtype is not float32, and {@link #RUNTIME_BYTES}.
   */
  long estimate(TinyLmConfig c) {
    int size = settings.dtype().getNumOfBytes();
    long b = settings.maxBatchSize();
    long t = c.contextLength();
    long work = size * (32 * b * t * c.dModel() + 4 * b * c.heads() * t * t + 2 * b * t * c.vocabSize());
    long cast = settings.dtype() == DataType.FLOAT32 ? 0 : c.parameterCount() * size;
    return c.parameterCount() * size + c.kvCacheBytes(settings.maxBatchSize(), size) + work + cast + RUNTIME_BYTES;
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      unload();
      closed = true;
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("model '" + modelId + "' is closed");
    }
  }

  /**
   * Returns {@code id} fit for a file name on any system: ids may hold {@code /} (Hugging Face
   * style), {@code :}, spaces and any letter; those outside {@code [A-Za-z0-9._-]} become
   * {@code _}, and the result is at most 64 characters. The temporary directory's own suffix
   * keeps names unique.
   */
  static String fileNamePart(String id) {
    StringBuilder sb = new StringBuilder(Math.min(id.length(), 64));
    for (int i = 0; i < id.length() && sb.length() < 64; i++) {
      char c = id.charAt(i);
      sb.append(c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '-' || c == '_') ? c : '_');
    }
    return sb.toString();
  }
}
