package io.modelmux.examples;

import io.modelmux.Attempt;
import io.modelmux.CostReport;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.LatencyStats;
import io.modelmux.MemoryConfig;
import io.modelmux.ModelEvent;
import io.modelmux.ModelEventListener;
import io.modelmux.ModelMuxConfig;
import io.modelmux.ModelRef;
import io.modelmux.ModelStatus;
import io.modelmux.MultiModelManager;
import io.modelmux.PoolStatus;
import io.modelmux.ServingStats;
import io.modelmux.TokenStream;
import io.modelmux.Usage;
import io.modelmux.spi.ModelSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The quickstart: a tour of what ModelMux does, offline and without keys, in well under a minute
 * on a laptop's CPU. It runs {@code tour.yaml} from the jar (two versions of the built-in tiny LM
 * and an OpenAI-compatible model at a loopback port where nothing listens) and prints, on the
 * stream it is given:
 *
 * <ol>
 *   <li>each local model loading, with the time it took and the memory the scheduler found it
 *       takes;
 *   <li>a second manager whose memory budget, sized from those footprints, holds either model but
 *       not both: requests alternating between them evict one another, each eviction printed as
 *       it happens;
 *   <li>a stream, piece by piece as the model makes them;
 *   <li>an alias switched from version 1 to version 2 while four threads send it requests: how
 *       many each version served and how many failed (none);
 *   <li>a 70/30 weighted split over 100 requests, with its counts;
 *   <li>a route whose model cannot be reached falling back to a local one, with the reason;
 *   <li>a table per model: state, tier, memory, requests, latency, tokens/s, cost.
 * </ol>
 */
public final class Quickstart {
  /** Where the tour's configuration is, inside the jar and in the source tree. */
  private static final String CONFIG = "tour.yaml";
  private static final String CONFIG_SOURCE = "examples/src/main/resources/tour.yaml";
  /** The variable tour.yaml's unreachable model takes its port from. */
  private static final String PORT_VARIABLE = "UNREACHABLE_PORT";
  /** slf4j-simple's level for ModelMux's loggers. */
  private static final String LOG_LEVEL = "org.slf4j.simpleLogger.log.io.modelmux";

  private static final int BUDGET_REQUESTS = 4;
  private static final int ALIAS_THREADS = 4;
  private static final int ALIAS_REQUESTS_PER_VERSION = 20;
  private static final int SPLIT_REQUESTS = 100;
  /** The longest the tour waits for something it set going; only a broken build takes that long. */
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private Quickstart() {}

  /**
   * Runs the tour on standard output.
   *
   * @param args none: the tour runs the {@code tour.yaml} inside the jar
   */
  public static void main(String[] args) {
    if (args.length > 0) {
      System.err.println("the quickstart takes no arguments: it runs the tour.yaml inside the jar."
          + " To send a request to your own models: java -jar modelmux.jar run --config models.yaml --prompt ...");
      System.exit(ModelMuxCli.USAGE);
    }
    // The tour tells what ModelMux does on stdout; ModelMux's INFO lines on stderr would say it twice.
    if (System.getProperty(LOG_LEVEL) == null) {
      System.setProperty(LOG_LEVEL, "warn");
    }
    run(System.out);
  }

  /**
   * Runs the tour, printing on {@code out}.
   *
   * @return the facts behind what it printed
   * @throws IllegalStateException if a step did not happen within {@link #PATIENCE}
   */
  static Report run(PrintStream out) {
    long started = System.nanoTime();
    int port = unusedLoopbackPort();
    ModelMuxConfig config = tourConfig(port);
    out.println("ModelMux tour: " + CONFIG + " (inside the jar; source " + CONFIG_SOURCE + ")");
    for (ModelSpec spec : config.models()) {
      out.printf("  %-15s %s%n", spec.ref(), describe(spec));
    }
    try (MultiModelManager models = MultiModelManager.builder().config(config).environment(name -> null).build()) {
      Map<ModelRef, Long> estimates = new LinkedHashMap<>();
      for (ModelStatus s : models.models()) {
        if (s.inProcess()) {
          estimates.put(s.ref(), s.bytes());
        }
      }
      List<ModelSpec> local = config.models().stream().filter(spec -> estimates.containsKey(spec.ref())).toList();

      section(out, "1. Loading the local models: the scheduler measures what each one takes");
      for (ModelSpec spec : local) {
        loadWithProgress(models, spec.ref().toString(), out);
      }
      PoolStatus shared = models.pools().get(0);
      out.printf("  all %d in pool %s: %s of its %s%n", local.size(), shared.name(), mb(shared.usedBytes()), mb(shared.budgetBytes()));
      Map<String, String> parity = parity(models, out);

      List<ModelSpec> djl = local.stream().filter(spec -> spec.type().equals("djl")).toList();
      section(out, "2. A memory budget that holds one of them: a second manager, the two tiny-lm versions");
      EventPrinter events = new EventPrinter(out);
      try (MultiModelManager small = budgetManager(models, djl, estimates, events, out)) {
        long evictions = alternate(small, djl, events, out);

        section(out, "3. Streaming: tiny-lm@1, each piece printed as it comes");
        String streamed = stream(models, out);

        section(out, "4. Alias prod switched from tiny-lm@1 to tiny-lm@2 while " + ALIAS_THREADS + " threads send it requests");
        AliasSwitch alias = switchUnderLoad(models, out);

        section(out, "5. Route ab: a 70/30 split over " + SPLIT_REQUESTS + " requests");
        Map<String, Integer> split = split(models, out);

        section(out, "6. Route resilient: llama-8b cannot be reached, tiny-lm@1 is its fallback");
        GenerateResponse fallback =
            models.generate(GenerateRequest.builder().model("resilient").prompt("MACBETH:\n").maxTokens(12).build());
        String remoteFailure = fallback.attempts().stream().filter(a -> a.reason().isPresent()).findFirst()
            .map(a -> a.errorType().orElse("?") + ": " + firstLine(a.reason().get())).orElse("none");
        out.println("  " + attempts(fallback) + ": " + firstLine(fallback.text()));

        section(out, "7. What each model did");
        List<String> rows = table(models, small, out);
        out.printf("%ntour done in %.1f s%n", (System.nanoTime() - started) / 1e9);
        return new Report(evictions, alias.served(), alias.failed(), split, remoteFailure, fallback, streamed, rows, parity);
      }
    }
  }

  /**
   * What the tour did: the facts behind its output.
   *
   * @param evictions evictions under the budget that holds one model
   * @param servedThroughAlias requests to alias {@code prod} answered, by the model that answered
   * @param aliasFailures requests to alias {@code prod} that failed
   * @param split requests to route {@code ab} by the model that answered ({@code failed} for failures)
   * @param remoteFailure why the unreachable model failed, as its first attempt of the route said
   * @param fallback the answer of the route that falls back from it
   * @param streamed the streamed text
   * @param tableRows the table's rows: manager and model, such as {@code main tiny-lm@1}
   * @param greedy the greedy answer to one prompt, by model: tiny-lm@1 (DJL) and tiny-gguf (llama.cpp)
   */
  record Report(
      long evictions,
      Map<String, Long> servedThroughAlias,
      long aliasFailures,
      Map<String, Integer> split,
      String remoteFailure,
      GenerateResponse fallback,
      String streamed,
      List<String> tableRows,
      Map<String, String> greedy) {}

  // ---- 1. loading -----------------------------------------------------------------------------

  /** Loads {@code model} in the background, printing a dot for each quarter second it takes. */
  private static void loadWithProgress(MultiModelManager models, String model, PrintStream out) {
    out.printf("  %-10s loading ", model);
    out.flush();
    long start = System.nanoTime();
    CompletableFuture<Void> load = models.preload(model);
    while (!await(load, Duration.ofMillis(250))) {
      out.print('.');
      out.flush();
      if (System.nanoTime() - start > PATIENCE.toNanos()) {
        throw new IllegalStateException(model + " did not load within " + PATIENCE.toSeconds() + " s");
      }
    }
    ModelStatus s = models.model(model).orElseThrow();
    out.printf(" loaded in %d ms: %s%n", millis(System.nanoTime() - start), memory(s));
  }

  /** Asks the DJL and the llama.cpp copy of the same weights the same greedy question. */
  private static Map<String, String> parity(MultiModelManager models, PrintStream out) {
    Map<String, String> answers = new LinkedHashMap<>();
    out.println("  the same weights on two engines, greedy, 32 tokens of \"ROMEO:\\n\":");
    for (String model : List.of("tiny-lm@1", "tiny-gguf@1")) {
      String text = models.generate(GenerateRequest.builder().model(model).prompt("ROMEO:\n").temperature(0).maxTokens(32).build()).text();
      answers.put(model, text);
      out.printf("    %-11s %s%n", model, text.replace("\n", "\\n"));
    }
    out.println("    " + (new java.util.HashSet<>(answers.values()).size() == 1 ? "identical" : "DIFFERENT"));
    return answers;
  }

  // ---- 2. a budget that holds one model ---------------------------------------------------------

  /**
   * Builds a manager of the local models whose budget holds the larger of them but not both. Each
   * model declares {@code memory:} the larger of its estimate and what its load took in {@code
   * models}: a declared size is the least a model is charged, so that however much a later load
   * measures (it varies from load to load), the two never fit together.
   */
  private static MultiModelManager budgetManager(
      MultiModelManager models, List<ModelSpec> local, Map<ModelRef, Long> estimates, ModelEventListener events,
      PrintStream out) {
    MultiModelManager.Builder builder = MultiModelManager.builder().environment(name -> null).listener(events);
    long sum = 0;
    for (ModelSpec spec : local) {
      ModelStatus loaded = models.model(spec.ref().toString()).orElseThrow();
      long declared = Math.max(estimates.get(spec.ref()), loaded.bytes());
      out.printf("  %-10s memory: %s, the larger of its estimate (%s) and its load (%s)%n",
          spec.ref(), mb(declared), mb(estimates.get(spec.ref())), memory(loaded));
      builder.model(spec.toBuilder().memoryBytes(declared).build());
      sum += declared;
    }
    long budget = sum - 1_000_000;
    out.printf("  budget %s: their sum less 1 MB, so either fits and both never do%n", mb(budget));
    return builder.memory(MemoryConfig.builder().budget(MemoryConfig.Amount.ofBytes(budget)).headroom("0%").build()).build();
  }

  /** Sends requests alternating between the local models; the scheduler's events print as they come. */
  private static long alternate(MultiModelManager small, List<ModelSpec> local, EventPrinter events, PrintStream out) {
    for (int i = 0; i < BUDGET_REQUESTS; i++) {
      String model = local.get(i % local.size()).ref().toString();
      out.printf("  request %d to %s%n", i + 1, model);
      GenerateResponse r = small.generate(GenerateRequest.builder().model(model).prompt("HAMLET:\n").maxTokens(8).build());
      out.printf("    answered in %d ms: %s%n", r.latency().toMillis(), firstLine(r.text()));
    }
    long evictions = small.models().stream().mapToLong(ModelStatus::evictions).sum();
    long loads = small.models().stream().mapToLong(ModelStatus::loads).sum();
    PoolStatus pool = small.pools().get(0);
    out.printf("  %d requests: %d loads, %d evictions (%d heard as events); pool %s holds %s of its %s%n",
        BUDGET_REQUESTS, loads, evictions, events.evictions(), pool.name(), mb(pool.usedBytes()), mb(pool.budgetBytes()));
    return evictions;
  }

  /** Prints what the memory scheduler does, on the thread that did it, and counts evictions. */
  private static final class EventPrinter implements ModelEventListener {
    private final PrintStream out;
    private final AtomicLong evictions = new AtomicLong();

    EventPrinter(PrintStream out) {
      this.out = out;
    }

    @Override
    public void onEvent(ModelEvent e) {
      switch (e.type()) {
        case LOADED:
          out.printf("    %s loaded in %d ms: %s in %s%n", e.model(), e.took().toMillis(), mb(e.bytes()), e.pool());
          break;
        case EVICTED:
          evictions.incrementAndGet();
          out.printf("    %s evicted: %s freed in %s%n", e.model(), mb(e.bytes()), e.pool());
          break;
        case LOAD_FAILED:
          out.printf("    %s failed to load: %s%n", e.model(), e.failure().map(Throwable::getMessage).orElse("no reason given"));
          break;
        default:
          out.printf("    %s %s: %s%n", e.model(), e.type().name().toLowerCase(Locale.ROOT), mb(e.bytes()));
      }
    }

    long evictions() {
      return evictions.get();
    }
  }

  // ---- 3. streaming ---------------------------------------------------------------------------

  private static String stream(MultiModelManager models, PrintStream out) {
    StringBuilder text = new StringBuilder();
    out.print("JULIET:\n");
    GenerateResponse r;
    try (TokenStream pieces =
        models.stream(GenerateRequest.builder().model("tiny-lm@1").prompt("JULIET:\n").seed(42).maxTokens(100).build())) {
      for (String piece : pieces) {
        out.print(piece);
        out.flush();
        text.append(piece);
      }
      r = pieces.response();
    }
    out.println();
    long tokens = r.usage().map(Usage::completionTokens).orElse(0L);
    out.printf("  [%d tokens in %d ms, the first after %s; %.0f tokens/s]%n", tokens, r.latency().toMillis(),
        r.timeToFirstToken().map(d -> d.toMillis() + " ms").orElse("?"), tokens / (r.latency().toNanos() / 1e9));
    return text.toString();
  }

  // ---- 4. an alias switched under load --------------------------------------------------------

  /** Requests to alias {@code prod} by the model that answered, and failures. */
  private record AliasSwitch(Map<String, Long> served, long failed) {}

  /**
   * Keeps {@link #ALIAS_THREADS} threads sending requests to {@code prod}; once version 1 has
   * answered {@link #ALIAS_REQUESTS_PER_VERSION}, switches the alias to version 2, and stops once
   * version 2 has answered as many.
   */
  private static AliasSwitch switchUnderLoad(MultiModelManager models, PrintStream out) {
    Map<String, LongAdder> served = new ConcurrentHashMap<>();
    LongAdder failed = new LongAdder();
    AtomicReference<RuntimeException> firstFailure = new AtomicReference<>();
    CountDownLatch onVersion1 = new CountDownLatch(ALIAS_REQUESTS_PER_VERSION);
    CountDownLatch onVersion2 = new CountDownLatch(ALIAS_REQUESTS_PER_VERSION);
    AtomicBoolean stop = new AtomicBoolean();
    GenerateRequest request = GenerateRequest.builder().model("prod").prompt("KING HENRY:\n").maxTokens(4).build();
    ExecutorService senders = Executors.newFixedThreadPool(ALIAS_THREADS);
    List<Future<?>> running = new ArrayList<>();
    try {
      for (int t = 0; t < ALIAS_THREADS; t++) {
        running.add(senders.submit(() -> {
          while (!stop.get()) {
            try {
              GenerateResponse r = models.generate(request);
              served.computeIfAbsent(r.model().toString(), k -> new LongAdder()).increment();
              (r.model().version().equals("1") ? onVersion1 : onVersion2).countDown();
            } catch (RuntimeException e) {
              failed.increment();
              firstFailure.compareAndSet(null, e);
            }
          }
        }));
      }
      awaitCount(onVersion1, "requests answered by tiny-lm@1", firstFailure);
      long before = total(served);
      long start = System.nanoTime();
      if (!await(models.switchTarget("prod", "tiny-lm@2"), PATIENCE)) {
        throw new IllegalStateException("the switch of prod to tiny-lm@2 did not finish within " + PATIENCE.toSeconds() + " s");
      }
      out.printf("  switchTarget(\"prod\", \"tiny-lm@2\") after %d answers: done in %.1f ms%n",
          before, (System.nanoTime() - start) / 1e6);
      awaitCount(onVersion2, "requests answered by tiny-lm@2", firstFailure);
    } finally {
      stop.set(true);
      senders.shutdown();
    }
    for (Future<?> f : running) {
      await(f, PATIENCE);
    }
    Map<String, Long> counts = new TreeMap<>();
    served.forEach((model, n) -> counts.put(model, n.sum()));
    counts.forEach((model, n) -> out.printf("  %-10s answered %3d%n", model, n));
    out.printf("  failed     %3d%s%n", failed.sum(),
        firstFailure.get() == null ? "" : " (the first: " + firstLine(String.valueOf(firstFailure.get().getMessage())) + ")");
    return new AliasSwitch(counts, failed.sum());
  }

  private static long total(Map<String, LongAdder> counts) {
    return counts.values().stream().mapToLong(LongAdder::sum).sum();
  }

  private static void awaitCount(CountDownLatch latch, String what, AtomicReference<RuntimeException> firstFailure) {
    try {
      if (!latch.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            "fewer than " + ALIAS_REQUESTS_PER_VERSION + " " + what + " within " + PATIENCE.toSeconds() + " s", firstFailure.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + what, e);
    }
  }

  // ---- 5. a weighted split --------------------------------------------------------------------

  private static Map<String, Integer> split(MultiModelManager models, PrintStream out) {
    List<CompletableFuture<GenerateResponse>> answers = new ArrayList<>();
    for (int i = 0; i < SPLIT_REQUESTS; i++) {
      answers.add(models.generateAsync(GenerateRequest.builder().model("ab").prompt("First Citizen:\n").maxTokens(4).build()));
    }
    Map<String, Integer> counts = new TreeMap<>();
    String reason = "";
    for (CompletableFuture<GenerateResponse> answer : answers) {
      try {
        GenerateResponse r = answer.join();
        counts.merge(r.model().toString(), 1, Integer::sum);
        reason = r.routing().reason();
      } catch (CompletionException e) {
        counts.merge("failed", 1, Integer::sum);
      }
    }
    counts.forEach((model, n) -> out.printf("  %-10s %3d%n", model, n));
    out.println("  (each request drawn at random by weight; the last one's routing: " + reason + ")");
    return counts;
  }

  // ---- 6. a fallback --------------------------------------------------------------------------

  /** Says in one line what the attempts of {@code r} were: consecutive alike ones together. */
  private static String attempts(GenerateResponse r) {
    List<Attempt> attempts = r.attempts();
    StringBuilder line = new StringBuilder();
    int i = 0;
    while (i < attempts.size() - 1) {
      Attempt a = attempts.get(i);
      int j = i;
      long ms = 0;
      while (j < attempts.size() - 1 && attempts.get(j).model().equals(a.model()) && attempts.get(j).outcome() == a.outcome()
          && attempts.get(j).errorType().equals(a.errorType())) {
        ms += attempts.get(j).time().toMillis();
        j++;
      }
      int times = j - i;
      line.append(a.model()).append(' ').append(words(a.outcome()))
          .append(times == 1 ? "" : times == 2 ? " twice" : " " + times + " times")
          .append(" (").append(a.errorType().map(type -> type + ", ").orElse("")).append(ms).append(" ms")
          .append(a.reason().map(why -> ": " + firstLine(why)).orElse("")).append(") -> ");
      i = j;
    }
    line.append("served by ").append(r.model()).append(" in ").append(r.latency().toMillis()).append(" ms");
    if (attempts.size() <= 1) {
      line.append(attempts.isEmpty() ? " from the cache" : " at the first try");
    }
    return line.toString();
  }

  private static String words(Attempt.Outcome outcome) {
    switch (outcome) {
      case FAILED:
        return "failed";
      case CIRCUIT_OPEN:
        return "skipped, its circuit open";
      case OVERLOADED:
        return "skipped, its queue full";
      case OVERFLOWED:
        return "passed over for an equivalent";
      case OVER_BUDGET:
        return "skipped, over its spend limit";
      default:
        return outcome.name().toLowerCase(Locale.ROOT);
    }
  }

  // ---- 7. the table ---------------------------------------------------------------------------

  private static List<String> table(MultiModelManager models, MultiModelManager small, PrintStream out) {
    TextTable table = new TextTable(4, "manager", "model", "state", "tier", "memory", "requests", "failed", "p50", "p99",
        "tokens/s", "cost", "loads", "evictions");
    List<String> rows = new ArrayList<>();
    Map<String, MultiModelManager> managers = new LinkedHashMap<>();
    managers.put("main", models);
    managers.put("budget", small);
    managers.forEach((name, manager) -> {
      for (ModelStatus s : manager.models()) {
        ServingStats serving = s.servingStats();
        LatencyStats latency = serving.latency();
        table.add(name, s.ref().toString(), s.state().name(), s.tier().name(), memory(s), Long.toString(s.requests()),
            Long.toString(s.failures()), latency.count() == 0 ? "-" : millis(latency.p50()),
            latency.count() == 0 ? "-" : millis(latency.p99()),
            serving.tokensPerSecond() == 0 ? "-" : String.format(Locale.ROOT, "%.0f", serving.tokensPerSecond()),
            String.format(Locale.ROOT, "%.8f", serving.cost()), Long.toString(s.loads()), Long.toString(s.evictions()));
        rows.add(name + " " + s.ref());
      }
    });
    table.print(out, "  ");
    out.println("  (latency and tokens/s are per answer, waits for a slot, for memory or in a batch included)");
    CostReport cost = models.metrics().cost();
    out.printf(Locale.ROOT, "  main's requests cost %.8f in all; the same tokens at %s's prices: %.8f%n", cost.total(),
        cost.referenceModel().orElse("the reference"), cost.referenceCost());
    return rows;
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Reads tour.yaml from the jar, its unreachable model at {@code port}. */
  private static ModelMuxConfig tourConfig(int port) {
    try (InputStream in = Quickstart.class.getResourceAsStream("/" + CONFIG)) {
      if (in == null) {
        throw new IllegalStateException(CONFIG + " is missing from the class path; rebuild the examples module");
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String portText = Integer.toString(port);
      return ModelMuxConfig.parse(text, CONFIG, name -> name.equals(PORT_VARIABLE) ? portText : null);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + CONFIG + " from the class path", e);
    }
  }

  /** Returns a loopback port that was free a moment ago: nothing listens there once it is closed. */
  private static int unusedLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free loopback port", e);
    }
  }

  private static String describe(ModelSpec spec) {
    if (spec.type().equals("llamacpp")) {
      return "local (llamacpp): the tiny LM's weights as GGUF, in a llama.cpp runner process, "
          + spec.optionInt("parallel").orElse(4) + " slots";
    }
    if (spec.type().equals("djl")) {
      int batch = spec.optionInt("max_batch_size").orElse(1);
      return "local (djl): the built-in tiny LM, " + spec.optionString("dtype").orElse("float32") + ", "
          + (batch > 1 ? "requests batched up to " + batch : "one request at a time");
    }
    return "remote (" + spec.type() + ") at " + spec.optionString("base_url").orElse("?") + ", where nothing listens";
  }

  /** Waits for {@code f} at most {@code wait}; returns whether it completed. Its failure is thrown. */
  private static boolean await(Future<?> f, Duration wait) {
    try {
      f.get(wait.toNanos(), TimeUnit.NANOSECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException ? (RuntimeException) cause : new IllegalStateException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void section(PrintStream out, String title) {
    out.println();
    out.println("== " + title);
  }

  private static String memory(ModelStatus s) {
    if (!s.inProcess()) {
      return "remote";
    }
    return mb(s.bytes()) + " " + s.memoryStats().source().name().toLowerCase(Locale.ROOT);
  }

  private static String mb(long bytes) {
    return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
  }

  private static long millis(long nanos) {
    return nanos / 1_000_000;
  }

  private static String millis(Duration d) {
    return d.compareTo(Duration.ofMillis(10)) < 0
        ? String.format(Locale.ROOT, "%.1f ms", d.toNanos() / 1e6)
        : d.toMillis() + " ms";
  }

  private static String firstLine(String text) {
    String stripped = text.strip();
    int end = stripped.indexOf('\n');
    return end < 0 ? stripped : stripped.substring(0, end);
  }
}
