package io.modelmux.internal.observe;

import io.modelmux.LatencyStats;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * A cumulative histogram of non-negative values (nanoseconds, here) in fixed memory: log-linear
 * bins, {@value #SUB} to each power of two (a bin is at most 12.5 % wide), exact below {@value
 * #SUB}, up to 2<sup>47</sup> (39 hours in nanoseconds; larger values fall in the last bin). About
 * 3 KB whatever it records. Recording is lock-free and allocates nothing (one increment of a
 * bin, a count, a sum and a maximum); percentiles are read from the bins, so a reported
 * percentile is the upper edge of its bin, capped at the largest value seen: it errs large by
 * less than one bin's width. Thread-safe; a read while recordings race sees each of them or not.
 */
public final class Histogram {
  private static final int SUB_BITS = 3;
  static final int SUB = 1 << SUB_BITS;
  private static final int TOP_EXPONENT = 47;
  static final int BINS = (TOP_EXPONENT - SUB_BITS + 2) * SUB;

  private final AtomicLongArray bins = new AtomicLongArray(BINS);
  private final LongAdder count = new LongAdder();
  private final LongAdder sum = new LongAdder();
  private final LongAccumulator max = new LongAccumulator(Math::max, 0);

  /** Records {@code value}; a negative one counts as 0. */
  public void record(long value) {
    long v = Math.max(0, value);
    bins.incrementAndGet(bin(v));
    count.increment();
    sum.add(v);
    max.accumulate(v);
  }

  /** Returns how many values were recorded. */
  public long count() {
    return count.sum();
  }

  /** Returns the sum of the values recorded. */
  public long sum() {
    return sum.sum();
  }

  /**
   * Returns the value below which a share {@code q} of the recorded values lie (at most one
   * bin's width above it), or -1 with none recorded.
   */
  public long percentile(double q) {
    long n = 0;
    long[] copy = new long[BINS];
    for (int i = 0; i < BINS; i++) {
      copy[i] = bins.get(i);
      n += copy[i];
    }
    return percentile(copy, n, q, max.get());
  }

  /** Returns count, mean, p50, p95, p99 and maximum, read once; {@link LatencyStats#EMPTY} with none. */
  public LatencyStats stats() {
    long n = 0;
    long[] copy = new long[BINS];
    for (int i = 0; i < BINS; i++) {
      copy[i] = bins.get(i);
      n += copy[i];
    }
    if (n == 0) {
      return LatencyStats.EMPTY;
    }
    long top = max.get();
    return new LatencyStats(
        n,
        Duration.ofNanos(sum.sum() / Math.max(1, count.sum())),
        Duration.ofNanos(percentile(copy, n, 0.50, top)),
        Duration.ofNanos(percentile(copy, n, 0.95, top)),
        Duration.ofNanos(percentile(copy, n, 0.99, top)),
        Duration.ofNanos(top));
  }

  private static long percentile(long[] bins, long n, double q, long max) {
    if (n == 0) {
      return -1;
    }
    long rank = Math.max(1, (long) Math.ceil(q * n));
    long seen = 0;
    for (int i = 0; i < bins.length; i++) {
      seen += bins[i];
      if (seen >= rank) {
        return Math.min(upperEdge(i), max);
      }
    }
    return max;
  }

  /** Returns the bin of {@code v} (not negative). */
  static int bin(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(v); // at least SUB_BITS
    if (exponent > TOP_EXPONENT) {
      return BINS - 1;
    }
    int sub = (int) (v >>> (exponent - SUB_BITS)) & (SUB - 1);
    return (exponent - SUB_BITS + 1) * SUB + sub;
  }

  /** Returns the largest value bin {@code i} holds. */
  static long upperEdge(int i) {
    if (i < SUB) {
      return i;
    }
    int exponent = i / SUB + SUB_BITS - 1;
    long sub = i % SUB;
    long width = 1L << (exponent - SUB_BITS);
    return (1L << exponent) + (sub + 1) * width - 1;
  }
}
