package io.modelmux.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.modelmux.BenchmarkConfig;
import io.modelmux.BenchmarkResult;
import io.modelmux.BenchmarkRound;
import io.modelmux.Cost;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.GuardStats;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.ModelState;
import io.modelmux.StreamListener;
import io.modelmux.Tier;
import io.modelmux.internal.registry.ModelRegistry;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.internal.serve.RequestPath;
import io.modelmux.internal.serve.StreamSession;
import io.modelmux.spi.Capability;
import io.modelmux.spi.MessageText;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Comparative benchmarking (seed 001): a round gives every healthy model the same prompts, one
 * model and one prompt at a time, on a thread of its own (never a caller's), through {@link
 * RequestPath#probe} (the model's guard and lease, no retry, no cache, counted in none of its
 * figures); it skips models whose circuit is open, whose last load failed, and local models that
 * are not loaded unless asked to load them. Each round is appended to the configured file as JSON
 * Lines — one line per model, then a summary with the fastest, the cheapest and the recommended
 * model — and kept as the last round. Rounds run one after another; a periodic round is not
 * started while one runs. Thread-safe.
 */
public final class Benchmarker {
  private static final Logger log = LoggerFactory.getLogger(Benchmarker.class);
  private static final JsonFactory JSON = new JsonFactory();
  /** A model is worth recommending over the fastest while its median is at most this many times the fastest's. */
  static final double SLOWER_ALLOWED = 2.0;

  private final Supplier<ModelRegistry.Snapshot> models;
  private final java.util.function.Function<RegisteredModel, CompletableFuture<Void>> loader;
  private final RequestPath path;
  private final Clock clock;
  private final @Nullable BenchmarkConfig config;
  private final ExecutorService thread;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong rounds = new AtomicLong();
  private final AtomicBoolean periodicQueued = new AtomicBoolean();
  private volatile @Nullable BenchmarkRound last;

  /**
   * @param models the registrations now
   * @param loader loads a model before it is measured, so that no prompt's time includes its load
   * @param path serves the benchmark's requests
   * @param clock stamps rounds
   * @param config the benchmark section, or null (on-demand rounds only)
   * @param threadName the benchmark thread's name
   */
  Benchmarker(
      Supplier<ModelRegistry.Snapshot> models, java.util.function.Function<RegisteredModel, CompletableFuture<Void>> loader,
      RequestPath path, Clock clock, @Nullable BenchmarkConfig config, String threadName) {
    this.models = models;
    this.loader = loader;
    this.path = path;
    this.clock = clock;
    this.config = config;
    ThreadPoolExecutor t = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(16), r -> {
      Thread th = new Thread(r, threadName);
      th.setDaemon(true);
      return th;
    });
    t.allowCoreThreadTimeOut(true);
    this.thread = t;
  }

  /** Returns the configured section, or null. */
  @Nullable BenchmarkConfig config() {
    return config;
  }

  /** Counts a caller's request; starts a round in the background after every {@code every} of them. */
  public void requestEnded() {
    BenchmarkConfig c = config;
    if (c == null || c.every() == 0) {
      return;
    }
    if (requests.incrementAndGet() % c.every() == 0 && periodicQueued.compareAndSet(false, true)) {
      try {
        thread.execute(() -> {
          try {
            run(c);
          } catch (RuntimeException e) {
            log.warn("periodic benchmark round failed", e);
          } finally {
            periodicQueued.set(false);
          }
        });
      } catch (RejectedExecutionException e) {
        periodicQueued.set(false); // closing, or rounds queued on demand fill the queue
      }
    }
  }

  /** Runs a round with {@code options} on the benchmark thread. */
  CompletableFuture<BenchmarkRound> submit(BenchmarkConfig options) {
    CompletableFuture<BenchmarkRound> result = new CompletableFuture<>();
    try {
      thread.execute(() -> {
        try {
          result.complete(run(options));
        } catch (RuntimeException e) {
          result.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(thread.isShutdown()
          ? RequestPath.closedError()
          : new io.modelmux.OverloadedException("16 benchmark rounds are already waiting; wait for them", null, e));
    }
    return result;
  }

  /** Returns the last round that finished, or null. */
  @Nullable BenchmarkRound last() {
    return last;
  }

  /** Stops: a round that runs is interrupted, and its calls fail as closed. */
  void close(long untilNanos) {
    thread.shutdownNow();
    try {
      thread.awaitTermination(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Runs one round now, on this thread. */
  BenchmarkRound run(BenchmarkConfig options) {
    long round = rounds.incrementAndGet();
    Instant started = clock.instant();
    List<BenchmarkResult> results = new ArrayList<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (RegisteredModel m : models.get().models) {
      String why = skip(m, options);
      if (why != null) {
        skipped.put(m.ref.toString(), why);
        continue;
      }
      results.add(measure(m, options));
      if (Thread.currentThread().isInterrupted()) {
        break;
      }
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new ModelMuxException(
          "benchmark round " + round + " was stopped: the MultiModelManager closed during it", RequestPath.closedError());
    }
    BenchmarkRound r = summarise(round, started, options.prompts().size(), results, skipped);
    last = r;
    options.outFile().ifPresent(file -> append(file, r));
    log.info("benchmark round {}: {} model(s), {} skipped; {}", round, results.size(), skipped.size(), r.recommendation());
    return r;
  }

  /** Returns why {@code m} is left out of the round, or null to benchmark it. */
  private static @Nullable String skip(RegisteredModel m, BenchmarkConfig options) {
    GuardStats.CircuitState circuit = m.guard.stats().circuit();
    if (circuit == GuardStats.CircuitState.OPEN) {
      Instant probe = m.guard.probeAt();
      return "its circuit is open" + (probe == null ? "" : " until " + probe);
    }
    if (m.residency.state() == ModelState.FAILED) {
      return "its last load failed";
    }
    boolean local;
    try {
      local = m.adapter.local();
    } catch (RuntimeException e) {
      local = false;
    }
    if (local && m.residency.tier() == Tier.COLD && !options.loadEvicted()) {
      return "a local model that is not loaded (a round does not load it unless asked: loadEvicted)";
    }
    return null;
  }

  /** Gives {@code m} every prompt, one at a time, after loading it (its load is no prompt's time). */
  private BenchmarkResult measure(RegisteredModel m, BenchmarkConfig options) {
    try {
      loader.apply(m).get(); // a failed load shows as each prompt's failure below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | RuntimeException e) {
      log.debug("benchmark: loading {} failed", m.ref, e);
    }
    boolean streams = m.adapter.info().supports(Capability.STREAMING);
    List<Long> latencies = new ArrayList<>();
    long ttftSum = 0;
    int ttftCount = 0;
    long outputTokens = 0;
    long answeringNanos = 0;
    double cost = 0;
    boolean priced = m.prices != null;
    Map<String, Integer> errors = new TreeMap<>();
    for (String prompt : options.prompts()) {
      if (Thread.currentThread().isInterrupted()) {
        errors.merge("InterruptedException", 1, Integer::sum);
        continue;
      }
      GenerateRequest request = GenerateRequest.builder().model(m.ref.toString()).prompt(prompt).maxTokens(options.maxTokens())
          .temperature(0).cacheable(false).build();
      long start = System.nanoTime();
      try {
        GenerateResponse r = path.probe(m, request, streams ? new StreamSession(DISCARD, clock, request) : null);
        long nanos = System.nanoTime() - start;
        latencies.add(nanos);
        answeringNanos += nanos;
        if (r.timeToFirstToken().isPresent()) {
          ttftSum += r.timeToFirstToken().get().toNanos();
          ttftCount++;
        }
        Cost c = r.cost().orElse(null);
        outputTokens += r.usage().map(u -> u.completionTokens())
            .orElse(c != null ? c.outputTokens() : (long) (r.text().length() + 3) / 4);
        if (c != null) {
          cost += c.amount();
        }
      } catch (ModelMuxException | IllegalStateException e) {
        errors.merge(e.getClass().getSimpleName(), 1, Integer::sum);
      }
    }
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    int n = sorted.length;
    int failed = options.prompts().size() - n;
    return new BenchmarkResult(
        m.ref, m.spec.type(), options.prompts().size(), failed, errors,
        Duration.ofNanos(n == 0 ? 0 : Arrays.stream(sorted).sum() / n),
        Duration.ofNanos(n == 0 ? 0 : sorted[(n - 1) / 2]),
        Duration.ofNanos(n == 0 ? 0 : sorted[Math.min(n - 1, (int) Math.ceil(0.99 * n) - 1)]),
        ttftCount == 0 ? null : Duration.ofNanos(ttftSum / ttftCount),
        answeringNanos == 0 ? 0 : outputTokens * 1e9 / answeringNanos,
        priced ? cost : null);
  }

  private static final StreamListener DISCARD = new StreamListener() {
    @Override
    public void onToken(String piece) {}

    @Override
    public void onComplete(GenerateResponse response) {}

    @Override
    public void onError(ModelMuxException error) {}
  };

  /**
   * Names the fastest (lowest median of the models that answered every prompt), the cheapest
   * (lowest cost per answer of those with a price) and the recommended one: the cheapest whose
   * median is within {@value #SLOWER_ALLOWED} times the fastest's, else the fastest.
   */
  public static BenchmarkRound summarise(
      long round, Instant started, int prompts, List<BenchmarkResult> results, Map<String, String> skipped) {
    BenchmarkResult fastest = null;
    BenchmarkResult cheapest = null;
    for (BenchmarkResult r : results) {
      if (r.errors() > 0 || r.answered() == 0) {
        continue;
      }
      if (fastest == null || r.p50().compareTo(fastest.p50()) < 0) {
        fastest = r;
      }
      if (r.costPerAnswer().isPresent()
          && (cheapest == null || r.costPerAnswer().get() < cheapest.costPerAnswer().orElseThrow())) {
        cheapest = r;
      }
    }
    if (fastest == null) {
      String why = results.isEmpty() ? "no model could be benchmarked" : "no model answered every prompt";
      return new BenchmarkRound(round, started, prompts, results, skipped, null, null, null, why + "; nothing to recommend");
    }
    BenchmarkResult recommended = fastest;
    for (BenchmarkResult r : results) { // the cheapest of those fast enough
      if (r.errors() == 0 && r.answered() > 0 && r.costPerAnswer().isPresent()
          && r.p50().toNanos() <= SLOWER_ALLOWED * fastest.p50().toNanos()
          && (recommended.costPerAnswer().isEmpty() || r.costPerAnswer().get() < recommended.costPerAnswer().get())) {
        recommended = r;
      }
    }
    String recommendation;
    if (cheapest == null) {
      recommendation = "use " + fastest.model() + ": the fastest (median " + millis(fastest.p50()) + "); no model has a price";
    } else if (recommended == fastest) {
      recommendation = "use " + fastest.model() + ": the fastest (median " + millis(fastest.p50()) + ")"
          + (cheapest == fastest
              ? " and the cheapest (" + money(cheapest.costPerAnswer().orElseThrow()) + " an answer)"
              : "; the cheapest, " + cheapest.model() + ", is " + times(cheapest, fastest) + " slower, more than "
                  + SLOWER_ALLOWED + "x");
    } else {
      double cost = recommended.costPerAnswer().orElseThrow();
      double fastestCost = fastest.costPerAnswer().orElse(Double.NaN);
      String saving = Double.isNaN(fastestCost) || fastestCost == 0 ? ""
          : String.format(Locale.ROOT, ", %.0f%% less than the fastest", 100 * (1 - cost / fastestCost));
      recommendation = "use " + recommended.model() + ": " + (recommended == cheapest ? "the cheapest" : "the cheapest of those"
          + " within " + SLOWER_ALLOWED + "x of the fastest") + " (" + money(cost) + " an answer" + saving + "), at "
          + times(recommended, fastest) + " the median of the fastest (" + fastest.model() + ", " + millis(fastest.p50()) + ")"
          + (recommended == cheapest ? "" : "; the cheapest, " + cheapest.model() + ", is " + times(cheapest, fastest) + " slower");
    }
    return new BenchmarkRound(
        round, started, prompts, results, skipped, fastest.model(), cheapest == null ? null : cheapest.model(),
        recommended.model(), recommendation);
  }

  private static String times(BenchmarkResult r, BenchmarkResult fastest) {
    return String.format(Locale.ROOT, "%.1fx", r.p50().toNanos() / (double) Math.max(1, fastest.p50().toNanos()));
  }

  private static String millis(Duration d) {
    return String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
  }

  private static String money(double amount) {
    return String.format(Locale.ROOT, "%.6f", amount);
  }

  /** Appends {@code round} to {@code file} as JSON Lines; a failure is logged, never thrown. */
  private static synchronized void append(Path file, BenchmarkRound round) {
    try {
      String lines = jsonLines(round);
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.writeString(file, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      log.warn("could not append benchmark round {} to {}: {}", round.round(), file, MessageText.quote(e.toString()));
    }
  }

  /** Returns the round as JSON Lines: one line per model, then the summary. */
  public static String jsonLines(BenchmarkRound round) {
    StringWriter out = new StringWriter();
    try {
      for (BenchmarkResult r : round.results()) {
        line(out, g -> {
          common(g, round, "model");
          g.writeStringField("model", r.model().id());
          g.writeStringField("version", r.model().version());
          g.writeStringField("type", r.type());
          g.writeNumberField("prompts", r.prompts());
          g.writeNumberField("errors", r.errors());
          g.writeObjectFieldStart("error_types");
          for (Map.Entry<String, Integer> e : r.errorTypes().entrySet()) {
            g.writeNumberField(e.getKey(), e.getValue());
          }
          g.writeEndObject();
          if (r.answered() > 0) {
            g.writeNumberField("average_ms", r.average().toNanos() / 1e6);
            g.writeNumberField("p50_ms", r.p50().toNanos() / 1e6);
            g.writeNumberField("p99_ms", r.p99().toNanos() / 1e6);
          } else { // nothing answered: no latency to give
            g.writeNullField("average_ms");
            g.writeNullField("p50_ms");
            g.writeNullField("p99_ms");
          }
          if (r.timeToFirstToken() != null) {
            g.writeNumberField("ttft_ms", r.timeToFirstToken().toNanos() / 1e6);
          } else {
            g.writeNullField("ttft_ms");
          }
          g.writeNumberField("tokens_per_second", r.tokensPerSecond());
          if (r.cost() != null) {
            g.writeNumberField("cost", r.cost());
          } else {
            g.writeNullField("cost");
          }
        });
      }
      line(out, g -> {
        common(g, round, "summary");
        g.writeNumberField("models", round.results().size());
        g.writeObjectFieldStart("skipped");
        for (Map.Entry<String, String> e : new TreeMap<>(round.skipped()).entrySet()) {
          g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
        nullable(g, "fastest", round.fastest());
        nullable(g, "cheapest", round.cheapest());
        nullable(g, "recommended", round.recommended());
        g.writeStringField("recommendation", round.recommendation());
      });
    } catch (IOException e) {
      throw new IllegalStateException("writing JSON to a string failed", e);
    }
    return out.toString();
  }

  private interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  private static void line(Writer out, Fields fields) throws IOException {
    StringWriter one = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(one)) {
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
    }
    out.write(one.toString());
    out.write('\n');
  }

  private static void common(JsonGenerator g, BenchmarkRound round, String kind) throws IOException {
    g.writeStringField("timestamp", round.started().toString());
    g.writeNumberField("round", round.round());
    g.writeStringField("kind", kind);
    g.writeNumberField("prompt_count", round.prompts());
  }

  private static void nullable(JsonGenerator g, String field, @Nullable ModelRef ref) throws IOException {
    if (ref == null) {
      g.writeNullField(field);
    } else {
      g.writeStringField(field, ref.toString());
    }
  }
}
