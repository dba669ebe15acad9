package io.modelmux.llamacpp;

import io.modelmux.BackendException;
import io.modelmux.ChatMessage;
import io.modelmux.DeadlineExceededException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateOptions;
import io.modelmux.GenerateRequest;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelLoadException;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.Usage;
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
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code type: llamacpp} model: a GGUF file served by llama.cpp in a runner process of its
 * own ({@link Runner}), which this adapter starts on {@link #load()} and ends on
 * {@link #unload()}. Requests go to the runner over a Unix domain socket; llama.cpp decodes up
 * to {@code parallel} of them together in its slots (continuous batching).
 */
final class LlamaCppAdapter implements ModelAdapter {
  private static final Logger log = LoggerFactory.getLogger(LlamaCppAdapter.class);
  private static final String CLASSPATH = "classpath:";

  /**
   * The runner's JVM: a small heap (it holds only the text in flight), the serial collector and
   * the client compiler; llama.cpp's memory is native and not limited by these.
   */
  static final List<String> RUNNER_JVM_OPTIONS =
      List.of("-Xms8m", "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
          "-XX:-UsePerfData", "-Djava.awt.headless=true");

  /** System properties of this JVM that the runner's JVM gets too: where java-llama.cpp finds its native library. */
  static final List<String> PASSED_PROPERTIES = List.of("de.kherud.llama.lib.path", "java.library.path", "java.io.tmpdir");

  /** Returns {@link #RUNNER_JVM_OPTIONS} and this JVM's {@link #PASSED_PROPERTIES}. */
  static List<String> runnerJvmOptions() {
    List<String> options = new ArrayList<>(RUNNER_JVM_OPTIONS);
    for (String p : PASSED_PROPERTIES) {
      String v = System.getProperty(p);
      if (v != null && !v.isEmpty()) {
        options.add("-D" + p + "=" + v);
      }
    }
    return options;
  }

  /**
   * What the runner process takes, resident, beyond llama.cpp's buffers: its JVM, the native
   * library, llama.cpp's threads (measured: 77 MB on Linux x86_64 with the tiny GGUF's 4.5 MB
   * of buffers); rounded up, as estimates here err large.
   */
  static final long RUNNER_BYTES = 96L << 20;

  private final ModelInfo info;
  private final LlamaCppSettings settings;
  private final String modelId;
  private final Object lock = new Object();
  private final AtomicInteger ids = new AtomicInteger();
  private volatile @Nullable Loaded loaded; // written under lock
  private volatile boolean closed;
  private volatile long estimate = -1;

  /** What load() made; unload() ends it. */
  private static final class Loaded {
    final RunnerProcess runner;
    final Gguf gguf;
    final int context; // per slot
    final boolean chatTemplate;
    final @Nullable Path extracted;
    final long measuredBytes;

    Loaded(RunnerProcess runner, Gguf gguf, int context, boolean chatTemplate, @Nullable Path extracted, long measuredBytes) {
      this.runner = runner;
      this.gguf = gguf;
      this.context = context;
      this.chatTemplate = chatTemplate;
      this.extracted = extracted;
      this.measuredBytes = measuredBytes;
    }
  }

  LlamaCppAdapter(ModelRef ref, LlamaCppSettings settings) {
    EnumSet<Capability> caps = EnumSet.of(Capability.STREAMING, Capability.CHAT);
    if (settings.parallel() > 1) {
      caps.add(Capability.BATCHING);
    }
    this.info = new ModelInfo(ref, "llamacpp", caps);
    this.settings = settings;
    this.modelId = ref.id();
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  static boolean isAppleSilicon() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("mac")
        && System.getProperty("os.arch", "").equals("aarch64");
  }

  @Override
  public void load() {
    synchronized (lock) {
      checkOpen();
      if (loaded != null) {
        return;
      }
      long start = System.nanoTime();
      Path extracted = null;
      RunnerProcess runner = null;
      try {
        Path file;
        if (settings.path().startsWith(CLASSPATH)) {
          extracted = extract(settings.path().substring(CLASSPATH.length()));
          file = extracted;
        } else {
          file = userPath(settings.path());
        }
        Gguf gguf = readGguf(file);
        int context = context(gguf, file);
        boolean template = gguf.string("tokenizer.chat_template") != null;
        int gpuLayers = settings.effectiveGpuLayers(isAppleSilicon());
        runner = RunnerProcess.start(modelId, runnerJvmOptions(), Duration.ofSeconds(30));
        long bare = runner.residentBytes(); // its JVM, before llama.cpp
        CompletableFuture<String> outcome = new CompletableFuture<>();
        runner.onLoad(outcome::complete);
        runner.sendLoad(file.toString(), context * settings.parallel(), settings.parallel(), settings.threads(), gpuLayers,
            settings.mainGpu(), settings.kvCacheType(), template);
        String problem;
        try {
          problem = outcome.get(settings.loadTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          problem = "llama.cpp did not finish loading within load_timeout (" + settings.loadTimeout() + ")";
        }
        if (!problem.isEmpty()) {
          runner.close(); // its log is read to the end
          String said = runner.lastErrorLines();
          throw new ModelLoadException(
              "model '" + modelId + "': llama.cpp could not load " + file + ": " + problem
                  + (said.isEmpty() || problem.contains(said) ? "" : "; llama.cpp said: " + said),
              modelId, null);
        }
        // what the runner holds now, or, when more, its JVM and every buffer llama.cpp reported (a
        // KV cache is allocated whole, but its pages become resident only as it fills)
        long now = runner.residentBytes();
        long measured = now < 0 || bare < 0
            ? runner.reportedBufferBytes() + RUNNER_BYTES // no /proc here (macOS, Windows): llama.cpp's word and ours
            : Math.max(now, bare + runner.reportedBufferBytes());
        loaded = new Loaded(runner, gguf, context, template, extracted, measured);
        log.info(
            "model {}: loaded {} ({}, {} MB of tensors) in a llama.cpp runner (pid {}): {} slots of {} tokens,"
                + " {} GPU layers, {} MB measured, in {} ms",
            info.ref(), settings.path(), gguf.architecture(), String.format("%.1f", gguf.tensorBytes() / 1e6),
            runner.pid(), settings.parallel(), context, gpuLayers, measured >> 20, (System.nanoTime() - start) / 1_000_000);
      } catch (ModelMuxException e) {
        cleanUp(runner, extracted);
        throw e;
      } catch (IOException | RuntimeException e) {
        cleanUp(runner, extracted);
        throw new ModelLoadException("model '" + modelId + "': loading " + settings.path() + " failed: " + e, modelId, e);
      } catch (InterruptedException e) {
        cleanUp(runner, extracted);
        Thread.currentThread().interrupt();
        throw new ModelLoadException("model '" + modelId + "': interrupted while loading", modelId, e);
      } catch (ExecutionException e) {
        cleanUp(runner, extracted);
        throw new ModelLoadException("model '" + modelId + "': loading failed: " + e.getCause(), modelId, e.getCause());
      }
    }
  }

  private Gguf readGguf(Path file) {
    try {
      Gguf gguf = Gguf.read(file);
      if (gguf.architecture() == null) {
        throw new ModelLoadException(
            "model '" + modelId + "': " + file + " has no general.architecture; it is not a model llama.cpp can serve",
            modelId, null);
      }
      return gguf;
    } catch (NoSuchFileException e) {
      throw new ModelLoadException(
          "model '" + modelId + "': " + file + " does not exist; 'path' must name a .gguf file"
              + (settings.baseDirectory() != null ? " (relative paths are resolved against " + settings.baseDirectory() + ")" : ""),
          modelId, null);
    } catch (Gguf.BadFileException e) {
      throw new ModelLoadException("model '" + modelId + "': " + e.getMessage(), modelId, null);
    } catch (IOException e) {
      throw new ModelLoadException("model '" + modelId + "': could not read " + file + ": " + e, modelId, e);
    }
  }

  /** Returns the context per slot: the option, or the model's own capped at the default; never more than the model's. */
  private int context(Gguf gguf, Path file) {
    long trained = gguf.archInteger("context_length").orElse(0);
    if (settings.contextLength() > 0) {
      if (trained > 0 && settings.contextLength() > trained) {
        throw new ModelLoadException(
            "model '" + modelId + "': context_length " + settings.contextLength() + " is larger than the "
                + trained + " tokens " + file + " was trained for (" + gguf.architecture()
                + ".context_length); set context_length to " + trained + " or less",
            modelId, null);
      }
      return settings.contextLength();
    }
    return (int) (trained > 0 ? Math.min(trained, LlamaCppSettings.DEFAULT_CONTEXT) : LlamaCppSettings.DEFAULT_CONTEXT);
  }

  private Path userPath(String path) {
    Path p = Path.of(path);
    return p.isAbsolute() || settings.baseDirectory() == null ? p : settings.baseDirectory().resolve(p);
  }

  /**
   * Finds class path resource {@code resource} (the part of {@code path} after {@code classpath:})
   * as both the load and the size estimate read it: through the thread's context class loader
   * (an application server's or a notebook's), else this module's.
   */
  private static @Nullable URL resource(String resource) {
    String name = resource.startsWith("/") ? resource.substring(1) : resource;
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = LlamaCppAdapter.class.getClassLoader();
    }
    return loader.getResource(name);
  }

  /** Copies a class path resource to a temporary file (llama.cpp reads files, not streams). */
  private Path extract(String resource) throws IOException {
    URL url = resource(resource);
    if (url == null) {
      throw new ModelLoadException(
          "model '" + modelId + "': class path resource " + resource + " does not exist; check 'path' (" + settings.path() + ")",
          modelId, null);
    }
    try (InputStream in = url.openStream()) {
      Path target = Files.createTempFile("modelmux-gguf-", ".gguf"); // unique; the id may hold any character
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    }
  }

  private static void cleanUp(@Nullable RunnerProcess runner, @Nullable Path extracted) {
    if (runner != null) {
      runner.close();
    }
    if (extracted != null) {
      try {
        Files.deleteIfExists(extracted);
      } catch (IOException e) {
        log.debug("could not delete {}", extracted, e);
      }
    }
  }

  /**
   * A local model, though not resident in this process: its memory is the runner's, measured
   * there, so the manager does not measure this process's growth over its load.
   */
  @Override
  public boolean local() {
    return true;
  }

  @Override
  public void unload() {
    synchronized (lock) {
      Loaded l = loaded;
      if (l == null) {
        return;
      }
      loaded = null;
      cleanUp(l.runner, l.extracted);
      log.info("model {}: unloaded (runner pid {} ended)", info.ref(), l.runner.pid());
    }
  }

  @Override
  public boolean isLoaded() {
    return loaded != null;
  }

  /** Returns the runner's process id, or -1 when not loaded; for tests. */
  long runnerPid() {
    Loaded l = loaded;
    return l == null ? -1 : l.runner.pid();
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
    GenerateOptions o = request.options();
    List<String[]> messages = new ArrayList<>();
    String prompt;
    if (request.prompt().isEmpty() && l.chatTemplate) {
      prompt = "";
      for (ChatMessage m : request.messages()) {
        messages.add(new String[] {m.role().name().toLowerCase(Locale.ROOT), m.content()});
      }
    } else {
      prompt = PromptText.of(request);
      if (prompt.isEmpty()) {
        throw new InvalidRequestException(
            "model '" + modelId + "' got an empty prompt; it needs at least one token to continue", modelId, null);
      }
    }
    int id = ids.incrementAndGet();
    Call call = new Call(sink);
    long start = System.nanoTime();
    Duration left = request.timeLeft().orElse(null);
    // an interrupted caller of a whole answer with no deadline stops waiting at once; its slot
    // finishes at the token limit (java-llama.cpp can cancel only what it streams)
    byte mode = sink != null ? Wire.STREAM : left != null ? Wire.WHOLE_CANCELLABLE : Wire.WHOLE;
    try {
      l.runner.sendGenerate(
          id, mode, call, prompt, messages, o.maxTokens().orElse(settings.maxTokens()),
          (float) o.temperature().orElse(settings.temperature()), o.topK().orElse(settings.topK()),
          (float) o.topP().orElse(settings.topP()), o.seed().orElse(-1L) & Long.MAX_VALUE, o.stop());
    } catch (IOException e) {
      throw new BackendException("model '" + modelId + "': could not send the request to its llama.cpp runner: " + e.getMessage(),
          modelId, true, e);
    }
    if (sink != null) {
      sink.onCancel(() -> l.runner.sendCancel(id));
    }
    try {
      Done done = left == null ? call.result.get() : call.result.get(Math.max(0, left.toNanos()), TimeUnit.NANOSECONDS);
      int maxTokens = o.maxTokens().orElse(settings.maxTokens());
      FinishReason reason =
          done.cancelled ? FinishReason.CANCELLED : done.completionTokens >= maxTokens ? FinishReason.LENGTH : FinishReason.STOP;
      return Completion.builder()
          .text(call.text())
          .finishReason(reason)
          .usage(new Usage(done.promptTokens, done.completionTokens))
          .timeToFirstToken(call.firstPieceNanos < 0 ? null : Duration.ofNanos(call.firstPieceNanos - start))
          .build();
    } catch (TimeoutException e) {
      l.runner.sendCancel(id);
      l.runner.forget(id);
      throw new DeadlineExceededException(
          "request to model '" + modelId + "' passed its deadline while generating; llama.cpp stopped it", modelId, null);
    } catch (InterruptedException e) {
      l.runner.sendCancel(id);
      l.runner.forget(id);
      Thread.currentThread().interrupt();
      throw new ModelMuxException("request to model '" + modelId + "' was interrupted (cancelled); generation stopped", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ModelMuxException) {
        throw (ModelMuxException) e.getCause();
      }
      throw new BackendException("model '" + modelId + "' failed: " + e.getCause(), modelId, false, e.getCause());
    }
  }

  private static final class Done {
    final int promptTokens;
    final int completionTokens;
    final boolean cancelled;

    Done(int promptTokens, int completionTokens, boolean cancelled) {
      this.promptTokens = promptTokens;
      this.completionTokens = completionTokens;
      this.cancelled = cancelled;
    }
  }

  /** One request's frames, received on the runner's reader thread. */
  private final class Call implements RunnerProcess.Receiver {
    final CompletableFuture<Done> result = new CompletableFuture<>();
    final StringBuilder text = new StringBuilder();
    final @Nullable TokenSink sink;
    volatile long firstPieceNanos = -1;

    Call(@Nullable TokenSink sink) {
      this.sink = sink;
    }

    String text() {
      synchronized (text) {
        return text.toString();
      }
    }

    @Override
    public void piece(String piece) {
      if (firstPieceNanos < 0) {
        firstPieceNanos = System.nanoTime();
      }
      if (sink != null && sink.isCancelled()) {
        return; // decoded before the runner heard of the cancellation: not the caller's any more
      }
      synchronized (text) {
        text.append(piece);
      }
      if (sink != null) {
        try {
          sink.accept(piece);
        } catch (RuntimeException e) {
          log.warn("model {}: a stream listener failed: {}", modelId, e.toString());
        }
      }
    }

    @Override
    public void done(int promptTokens, int completionTokens, boolean cancelled) {
      result.complete(new Done(promptTokens, completionTokens, cancelled || (sink != null && sink.isCancelled())));
    }

    @Override
    public void tokens(int count) {
      result.completeExceptionally(new IllegalStateException("unexpected token count"));
    }

    @Override
    public void error(String message) {
      result.completeExceptionally(
          new InvalidRequestException("model '" + modelId + "': llama.cpp refused the request: " + message, modelId, null));
    }

    @Override
    public void lost(String why) {
      BackendException e = new BackendException(
          "model '" + modelId + "': " + why + (text.length() > 0 ? " after " + text.length() + " characters" : ""),
          modelId, true, null);
      result.completeExceptionally(e);
    }
  }

  /** Counts tokens with the model's own tokenizer (in its runner), when loaded. */
  private OptionalInt count(String text) {
    Loaded l = loaded;
    if (l == null || !l.runner.isAlive()) {
      return OptionalInt.empty();
    }
    int id = ids.incrementAndGet();
    CompletableFuture<Integer> n = new CompletableFuture<>();
    try {
      l.runner.sendEncode(id, new RunnerProcess.Receiver() {
        @Override
        public void piece(String text) {}

        @Override
        public void done(int p, int c, boolean x) {}

        @Override
        public void tokens(int count) {
          n.complete(count);
        }

        @Override
        public void error(String message) {
          n.completeExceptionally(new IllegalStateException(message));
        }

        @Override
        public void lost(String why) {
          n.completeExceptionally(new IllegalStateException(why));
        }
      }, text);
      return OptionalInt.of(n.get(10, TimeUnit.SECONDS));
    } catch (IOException | ExecutionException | TimeoutException e) {
      l.runner.forget(id);
      return OptionalInt.empty();
    } catch (InterruptedException e) {
      l.runner.forget(id);
      Thread.currentThread().interrupt();
      return OptionalInt.empty();
    }
  }

  @Override
  public OptionalInt promptTokens(GenerateRequest request) {
    return count(PromptText.of(request));
  }

  @Override
  public OptionalInt countTokens(String text) {
    return count(text);
  }

  @Override
  public OptionalInt contextLength() {
    Loaded l = loaded;
    return l == null ? OptionalInt.empty() : OptionalInt.of(l.context);
  }

  @Override
  public Health health() {
    if (closed) {
      return Health.down("closed");
    }
    Loaded l = loaded;
    if (l == null) {
      return Health.unknown("not loaded");
    }
    return l.runner.isAlive() ? Health.up("llama.cpp runner pid " + l.runner.pid()) : Health.down("its llama.cpp runner is gone");
  }

  private String pool() {
    boolean gpu = settings.effectiveGpuLayers(isAppleSilicon()) > 0;
    if (gpu && (isAppleSilicon() || settings.device().equals("mps"))) {
      return Footprint.UNIFIED;
    }
    if (gpu && settings.device().startsWith("cuda")) {
      return settings.device().contains(":") ? settings.device() : "cuda:0";
    }
    return Footprint.HOST;
  }

  /**
   * Before the first load, an estimate from the GGUF's header (which errs large): its tensors,
   * the KV cache for {@code parallel} slots at the context, llama.cpp's compute buffers and the
   * runner's JVM. Once loaded, what was measured: the larger of the runner's resident memory and
   * the buffers llama.cpp reported allocating (the KV cache is allocated whole but its pages
   * become resident as it fills), plus the runner.
   */
  @Override
  public Footprint footprint() {
    Loaded l = loaded;
    if (l != null) {
      return Footprint.measured(pool(), l.measuredBytes);
    }
    return Footprint.estimated(pool(), estimateBytes());
  }

  private long estimateBytes() {
    long e = estimate;
    if (e >= 0) {
      return e;
    }
    long bytes = 0;
    try {
      Gguf gguf;
      if (settings.path().startsWith(CLASSPATH)) {
        URL url = resource(settings.path().substring(CLASSPATH.length()));
        if (url == null) {
          throw new IOException(settings.path() + " does not exist");
        }
        URLConnection c = url.openConnection();
        long size = c.getContentLengthLong();
        gguf = Gguf.read(c.getInputStream(), settings.path(), size < 0 ? Long.MAX_VALUE : size);
      } else {
        gguf = Gguf.read(userPath(settings.path()));
      }
      bytes = estimate(gguf);
    } catch (IOException | RuntimeException ex) {
      log.debug("model {}: no size estimate: {}", modelId, ex.toString());
    }
    estimate = bytes;
    return bytes;
  }

  /** The estimate for {@code gguf}; see {@link #footprint()}. */
  long estimate(Gguf gguf) {
    long trained = gguf.archInteger("context_length").orElse(LlamaCppSettings.DEFAULT_CONTEXT);
    long context = settings.contextLength() > 0 ? settings.contextLength() : Math.min(trained, LlamaCppSettings.DEFAULT_CONTEXT);
    long tokens = context * settings.parallel();
    long layers = gguf.archInteger("block_count").orElse(1);
    long embd = gguf.archInteger("embedding_length").orElse(0);
    long heads = gguf.archInteger("attention.head_count").orElse(1);
    long kvHeads = gguf.archInteger("attention.head_count_kv").orElse(heads);
    long keyLength = gguf.archInteger("attention.key_length").orElse(heads > 0 ? embd / heads : embd);
    long valueLength = gguf.archInteger("attention.value_length").orElse(keyLength);
    long kv = (long) Math.ceil(layers * tokens * kvHeads * (keyLength + valueLength) * settings.kvBytesPerValue());
    long vocab = vocabSize(gguf);
    long ubatch = Math.min(512, tokens);
    long compute = 4 * ubatch * (vocab + 16 * embd) + 4 * settings.parallel() * vocab;
    return gguf.tensorBytes() + kv + compute + RUNNER_BYTES;
  }

  private static long vocabSize(Gguf gguf) {
    Object tokens = gguf.metadata().get("tokenizer.ggml.tokens");
    return tokens instanceof Gguf.ArrayInfo ? ((Gguf.ArrayInfo) tokens).length() : 32_000;
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
}
