package io.modelmux.benchmarks;

import io.modelmux.ModelRef;
import io.modelmux.spi.EvictionPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * A trace simulation of the memory scheduler's eviction: how often a request finds its model
 * resident (hit ratio) and how many bytes are loaded, under {@link EvictionPolicy#lru()} and
 * {@link EvictionPolicy#gdsf()} as shipped in core, against {@link #baseline()}: Belady-MIN by
 * farthest next use, the usual offline reference.
 *
 * <p>The workload is fixed by {@link Workload#seed}: {@value #MODELS} models whose sizes are
 * log-uniform between 100 MB and 8 GB (decimal units), a load cost proportional to size (1 GB/s,
 * so {@code loadCostNanos == bytes}), a Zipf(s = 1.0) trace of {@value #REQUESTS} requests
 * whose popularity ranks are a random permutation independent of size, and a budget of 20 % of
 * the total bytes of all models. Every model fits alone. Because cost is proportional to size,
 * gdsf's {@code loadCost / bytes} is the same for every model: here it ranks models by
 * {@code L + accesses since load}, a GreedyDual-Frequency without a size term.
 *
 * <p>The simulation keeps the scheduler's bookkeeping: a load sets {@code loadCostNanos} and
 * resets {@code accesses}, and every request (the one that loaded the model included) then
 * records {@code lastAccessNanos} (a tick that grows by one per request), {@code accesses++}
 * and {@code clockAtAccess = policy.clock()}. On a miss the policy picks victims among the
 * resident models, one at a time, each followed by {@link EvictionPolicy#evicted}, until the
 * model fits. Models are never in use while another is chosen, so every resident model is a
 * candidate.
 *
 * <p>Belady's rule with variable sizes: on a miss, evict the resident model whose next request
 * is farthest in the future (those never requested again first) until the new one fits. Exact
 * optimum with variable sizes is NP-hard; this heuristic is the customary reference and is
 * optimal when all sizes are equal.
 *
 * <p>One invocation replays the whole trace. The score is the time of that replay; the numbers
 * that matter are the secondary results {@code hitRatioPpm} (hits per million requests) and
 * {@code bytesLoadedMB}, and the summary line each fork prints at its end.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 0)
@Measurement(iterations = 1)
public class EvictionTraceBenchmark {
  static final int MODELS = 50;
  static final int REQUESTS = 200_000;
  static final double ZIPF_S = 1.0;
  static final long MIN_BYTES = 100_000_000L;
  static final long MAX_BYTES = 8_000_000_000L;
  /** Load bandwidth: 1 GB/s, one nanosecond per byte. */
  static final double BYTES_PER_NANO = 1.0;

  static final double BUDGET_SHARE = 0.20;

  /** The models, the trace and the budget; built once per fork, the same for every policy. */
  @State(Scope.Benchmark)
  public static class Workload {
    /** Seed of sizes, popularity ranks and the trace ({@code -p seed=1,2,3} for others). */
    @Param({"20261123", "1", "2", "3"})
    public long seed;

    long[] bytes;
    long[] loadCostNanos;
    ModelRef[] refs;
    int[] trace;
    /** For each request, the index of the next request of the same model, or MAX_VALUE. */
    int[] nextUse;

    long budget;
    long totalBytes;

    /** Draws the models and the trace from {@link #seed}. */
    @Setup(Level.Trial)
    public void setUp() {
      Random random = new Random(seed);
      bytes = new long[MODELS];
      loadCostNanos = new long[MODELS];
      refs = new ModelRef[MODELS];
      double logMin = Math.log(MIN_BYTES);
      double logMax = Math.log(MAX_BYTES);
      for (int i = 0; i < MODELS; i++) {
        bytes[i] = (long) Math.exp(logMin + random.nextDouble() * (logMax - logMin));
        loadCostNanos[i] = (long) (bytes[i] / BYTES_PER_NANO);
        refs[i] = new ModelRef("model-" + i, "1");
        totalBytes += bytes[i];
      }
      budget = (long) (totalBytes * BUDGET_SHARE);

      // Popularity rank r (0 = most popular) belongs to model byRank[r], a shuffle
      // independent of the sizes drawn above.
      int[] byRank = new int[MODELS];
      for (int i = 0; i < MODELS; i++) {
        byRank[i] = i;
      }
      for (int i = MODELS - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = byRank[i];
        byRank[i] = byRank[j];
        byRank[j] = t;
      }
      double[] cumulative = new double[MODELS];
      double sum = 0;
      for (int r = 0; r < MODELS; r++) {
        sum += 1 / Math.pow(r + 1, ZIPF_S);
        cumulative[r] = sum;
      }
      trace = new int[REQUESTS];
      for (int k = 0; k < REQUESTS; k++) {
        double u = random.nextDouble() * sum;
        int r = Arrays.binarySearch(cumulative, u);
        r = r >= 0 ? r : Math.min(-r - 1, MODELS - 1);
        trace[k] = byRank[r];
      }

      nextUse = new int[REQUESTS];
      int[] seen = new int[MODELS];
      Arrays.fill(seen, Integer.MAX_VALUE);
      for (int k = REQUESTS - 1; k >= 0; k--) {
        nextUse[k] = seen[trace[k]];
        seen[trace[k]] = k;
      }
    }
  }

  /** The secondary results: JMH reports these public fields next to the replay time. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Outcome {
    /** Hits per million requests. */
    public long hitRatioPpm;
    /** Bytes loaded over the trace, in MB (10^6 bytes). */
    public long bytesLoadedMB;

    long hits;
    long bytesLoaded;

    void record(long hits, long bytesLoaded) {
      this.hits = hits;
      this.bytesLoaded = bytesLoaded;
      hitRatioPpm = Math.round(1e6 * hits / REQUESTS);
      bytesLoadedMB = Math.round(bytesLoaded / 1e6);
    }

    /** Prints the numbers in plain words, since JMH's table rounds and scatters them. */
    @TearDown(Level.Trial)
    public void print(BenchmarkParams params) {
      String name = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
      System.out.printf(
          Locale.ROOT,
          "%n[EvictionTrace] %-8s hit ratio %.4f (%d of %d), bytes loaded %.1f GB%n",
          name,
          (double) hits / REQUESTS,
          hits,
          REQUESTS,
          bytesLoaded / 1e9);
    }
  }

  /** Belady-MIN by farthest next use: the offline reference. */
  @Benchmark
  public double baseline(Workload w, Outcome out) {
    boolean[] resident = new boolean[MODELS];
    int[] nextOf = new int[MODELS];
    long used = 0;
    long hits = 0;
    long loaded = 0;
    for (int k = 0; k < REQUESTS; k++) {
      int m = w.trace[k];
      if (resident[m]) {
        hits++;
      } else {
        while (used + w.bytes[m] > w.budget) {
          int victim = -1;
          for (int i = 0; i < MODELS; i++) {
            if (resident[i] && (victim < 0 || nextOf[i] > nextOf[victim])) {
              victim = i;
            }
          }
          resident[victim] = false;
          used -= w.bytes[victim];
        }
        resident[m] = true;
        used += w.bytes[m];
        loaded += w.bytes[m];
      }
      nextOf[m] = w.nextUse[k];
    }
    out.record(hits, loaded);
    return (double) hits / REQUESTS;
  }

  /** {@link EvictionPolicy#lru()} as shipped. */
  @Benchmark
  @Goal(metric = "hitRatioPpm")
  public double lru(Workload w, Outcome out) {
    return replay(w, EvictionPolicy.lru(), out);
  }

  /** {@link EvictionPolicy#gdsf()} as shipped. */
  @Benchmark
  @Goal(metric = "hitRatioPpm", minRatio = 0.85)
  @Goal(metric = "bytesLoadedMB", against = "lru", maxRatio = 1)
  public double gdsf(Workload w, Outcome out) {
    return replay(w, EvictionPolicy.gdsf(), out);
  }

  /** Replays the trace with the scheduler's bookkeeping; a fresh policy per replay. */
  static double replay(Workload w, EvictionPolicy policy, Outcome out) {
    boolean[] resident = new boolean[MODELS];
    long[] lastAccess = new long[MODELS];
    long[] accesses = new long[MODELS];
    long[] loadCost = new long[MODELS];
    double[] clockAtAccess = new double[MODELS];
    List<EvictionPolicy.Candidate> candidates = new ArrayList<>(MODELS);
    int[] byCandidate = new int[MODELS];
    long used = 0;
    long hits = 0;
    long loaded = 0;
    for (int k = 0; k < REQUESTS; k++) {
      int m = w.trace[k];
      long tick = k + 1L;
      if (resident[m]) {
        hits++;
      } else {
        while (used + w.bytes[m] > w.budget) {
          candidates.clear();
          for (int i = 0; i < MODELS; i++) {
            if (resident[i]) {
              byCandidate[candidates.size()] = i;
              candidates.add(
                  new EvictionPolicy.Candidate(
                      w.refs[i], w.bytes[i], lastAccess[i], accesses[i], loadCost[i], clockAtAccess[i]));
            }
          }
          EvictionPolicy.Candidate chosen = policy.victim(List.copyOf(candidates));
          policy.evicted(chosen);
          int victim = byCandidate[candidates.indexOf(chosen)];
          resident[victim] = false;
          used -= w.bytes[victim];
        }
        // The load, as MemoryScheduler records it.
        resident[m] = true;
        used += w.bytes[m];
        loaded += w.bytes[m];
        loadCost[m] = w.loadCostNanos[m];
        accesses[m] = 0;
      }
      // The request's access (MemoryScheduler.touch).
      lastAccess[m] = tick;
      accesses[m]++;
      clockAtAccess[m] = policy.clock();
    }
    out.record(hits, loaded);
    return (double) hits / REQUESTS;
  }
}
