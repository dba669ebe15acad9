package io.modelmux.djl;

import io.modelmux.GenerateRequest;
import io.modelmux.Hardware;
import io.modelmux.MemoryConfig;
import io.modelmux.MemoryStats;
import io.modelmux.MultiModelManager;
import io.modelmux.internal.memory.MemoryMeter;
import io.modelmux.spi.ModelSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Loads many models of one local kind into managers and compares what the process really took
 * ({@code VmRSS}, {@code VmHWM}, less what the JVM itself committed meanwhile, by its native
 * memory tracking: its compilers and threads are not a model's) with what the pools account; {@link FootprintIT} runs it in a
 * JVM of its own per kind and checks the figures it prints on its last line. Linux only.
 *
 * <p>{@code args}: the kind ({@code batched}, {@code unbatched} or {@code torchscript}), the
 * number of models {@code n} (at least 10), the path of the TorchScript test model
 * ({@link #TORCHSCRIPT_MODEL}).
 *
 * <ol>
 *   <li>One model serves 8 rounds first, so that the JVM's own growth (compiled code, its
 *       compiler's arenas) and the callers' allocator arenas are behind the baseline.
 *   <li>{@code n} more load one after another, each serving a round (three requests, then six
 *       at once from a pool of callers); then real growth is set against the pools' growth.
 *   <li>All are unloaded: how much of that growth the process kept. Then one model is loaded,
 *       serves and is unloaded 5 times: what each cycle kept, and all five together.
 *   <li>A new manager whose budget holds the 4 largest sizes learned in step 2 serves 7 models
 *       (each declaring as {@code memory} the size learned for its counterpart) by turns, 3
 *       rounds: the peak of real growth is set against the budget.
 * </ol>
 */
public final class FootprintProbe {
  private static final int ROUND_TOKENS = 12;

  /** The TorchScript model loaded ten times: 2 MB, about half a million parameters (make_wide_model.py). */
  static final String TORCHSCRIPT_MODEL = "tiny-gpt-wide.pt";

  private FootprintProbe() {}

  /** Runs the probe. */
  public static void main(String[] args) throws Exception {
    String kind = args[0];
    int n = Integer.parseInt(args[1]);
    Path torchScript = Path.of(args[2]);
    StringBuilder out = new StringBuilder("kind=" + kind);
    ExecutorService callers =
        Executors.newFixedThreadPool(
            6,
            r -> {
              Thread t = new Thread(r, "caller");
              t.setDaemon(true); // a failure in main ends the probe
              return t;
            });
    long rssStart;
    List<Long> learned = new ArrayList<>();
    try (MultiModelManager a = manager(kind, torchScript, n + 1, 8L << 30, List.of())) {
      for (int i = 0; i < 8; i++) {
        serve(a, callers, "m0");
      }
      a.unload("m0");
      long estimate = a.model("m1").orElseThrow().memoryStats().bytes();
      rssStart = rss();
      long jvmStart = jvm();
      long usedStart = used(a);
      resetPeak();
      double leastEstimateRatio = Double.MAX_VALUE;
      for (int i = 1; i <= n; i++) {
        a.preload("m" + i).get();
        serve(a, callers, "m" + i);
        MemoryStats s = a.model("m" + i).orElseThrow().memoryStats();
        learned.add(s.bytes());
        leastEstimateRatio = Math.min(leastEstimateRatio, estimate / (double) s.bytes());
        System.out.printf(Locale.ROOT, "m%d: %s %.1f MB, process now %+.1f MB%n", i, s.source(), s.bytes() / 1e6, (rss() - rssStart) / 1e6);
      }
      long jvmGrowth = Math.max(0, jvm() - jvmStart); // what the JVM gave back, the allocator keeps
      long real = rss() - rssStart - jvmGrowth;
      long peak = peak() - rssStart - jvmGrowth;
      long accounted = used(a) - usedStart;
      out.append(" real=").append(real).append(" peak=").append(peak).append(" accounted=").append(accounted)
          .append(" jvm_growth=").append(jvmGrowth)
          .append(" least_estimate_ratio=").append(String.format(Locale.ROOT, "%.2f", leastEstimateRatio))
          .append(" measured=").append(a.models().stream().filter(m -> m.memoryStats().source() == MemoryStats.Source.MEASURED).count());

      for (int i = 1; i <= n; i++) {
        a.unload("m" + i);
      }
      out.append(" kept_after_unloads=").append(rss() - rssStart - Math.max(0, jvm() - jvmStart));

      List<Long> kept = new ArrayList<>();
      long charged = 0;
      long firstBefore = rss();
      long firstJvm = jvm();
      for (int cycle = 0; cycle < 5; cycle++) {
        long before = rss();
        long jvmBefore = jvm();
        a.preload("m1").get();
        serve(a, callers, "m1");
        charged = Math.max(charged, a.model("m1").orElseThrow().memoryStats().bytes());
        a.unload("m1");
        kept.add(rss() - before - Math.max(0, jvm() - jvmBefore));
        System.out.printf(Locale.ROOT, "load, serve, unload m1: charged %.1f MB, kept %+.1f MB%n",
            a.model("m1").orElseThrow().memoryStats().bytes() / 1e6, kept.get(cycle) / 1e6);
      }
      List<Long> sortedKept = new ArrayList<>(kept);
      sortedKept.sort(null);
      out.append(" one_charged=").append(charged).append(" one_kept_median=").append(sortedKept.get(2))
          .append(" one_kept_most=").append(sortedKept.get(4))
          .append(" five_kept=").append(rss() - firstBefore - Math.max(0, jvm() - firstJvm));
    }

    List<Long> sorted = new ArrayList<>(learned);
    sorted.sort(null);
    long budget = 0;
    for (int i = sorted.size() - 4; i < sorted.size(); i++) {
      budget += sorted.get(i);
    }
    // new registrations know nothing: each says (memory) what its counterpart measured above
    try (MultiModelManager c = manager(kind, torchScript, 7, budget, learned)) {
      for (int i = 0; i < 7; i++) { // a first turn, unmeasured: the JVM compiles the paths of evictions
        serve(c, callers, "m" + i);
      }
      for (int i = 0; i < 7; i++) {
        c.unload("m" + i);
      }
      long base = rss();
      long jvmBase = jvm();
      long mostUsed = 0;
      long mostReal = 0;
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 7; i++) {
          resetPeak();
          serve(c, callers, "m" + i);
          mostUsed = Math.max(mostUsed, used(c));
          mostReal = Math.max(mostReal, peak() - base - Math.max(0, jvm() - jvmBase));
        }
      }
      long evictions = c.models().stream().mapToLong(m -> m.memoryStats().evictions()).sum();
      out.append(" budget=").append(budget).append(" turns_peak=").append(mostReal)
          .append(" turns_most_used=").append(mostUsed).append(" turns_evictions=").append(evictions);
    }
    callers.shutdown();
    System.out.println(out);
  }

  static MultiModelManager manager(String kind, Path torchScript, int models, long budget, List<Long> sizes) {
    MultiModelManager.Builder b =
        MultiModelManager.builder()
            .environment(x -> null)
            .hardware(new Hardware(1L << 34, List.of(), false))
            .memory(new MemoryConfig(MemoryConfig.Amount.ofBytes(budget), null, null, -1, "lru", Map.of()));
    for (int i = 0; i < models; i++) {
      ModelSpec.Builder s = ModelSpec.builder("m" + i, "djl").device("cpu");
      if (i < sizes.size()) {
        s.memoryBytes(sizes.get(i));
      }
      switch (kind) {
        case "batched":
          s.option("path", "classpath:/models/tiny-lm");
          break;
        case "unbatched":
          s.option("path", "classpath:/models/tiny-lm").option("max_batch_size", 1);
          break;
        case "torchscript":
          s.option("path", torchScript.toString()).option("tokenizer", "byte").option("context_length", 64);
          break;
        default:
          throw new IllegalArgumentException(kind);
      }
      b.model(s.build());
    }
    return b.build();
  }

  /** Three requests one after another, then six at once. */
  static void serve(MultiModelManager m, ExecutorService callers, String model) throws Exception {
    GenerateRequest request = GenerateRequest.builder().model(model).prompt("ROMEO:\n").temperature(0).maxTokens(ROUND_TOKENS).build();
    for (int k = 0; k < 3; k++) {
      callers.submit(() -> m.generate(request)).get();
    }
    List<Future<?>> all = new ArrayList<>();
    for (int k = 0; k < 6; k++) {
      all.add(callers.submit(() -> m.generate(request)));
    }
    for (Future<?> f : all) {
      f.get();
    }
  }

  static long used(MultiModelManager m) {
    return m.pools().get(0).usedBytes();
  }

  /** The process as the scheduler reads it (core's {@link MemoryMeter}). */
  private static final MemoryMeter PROCESS = MemoryMeter.process();

  static long rss() {
    return PROCESS.read().residentBytes();
  }

  static long peak() {
    return PROCESS.read().peakBytes();
  }

  static long jvm() {
    return PROCESS.read().jvmBytes();
  }

  static void resetPeak() {
    if (!PROCESS.resetPeak()) {
      throw new IllegalStateException("the process's peak memory cannot be reset here");
    }
  }
}
