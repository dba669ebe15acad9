package io.modelmux.internal.observe;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Outcomes (success or failure, and latency) over a sliding time window, for judging a canary:
 * the window is cut into {@value #BUCKETS} buckets of equal length, each counting requests,
 * failures and latencies in logarithmic bins (about 19 % wide, from 1 ms to about 2 hours), so
 * that the error rate and the 95th percentile cost a few hundred additions to read. Recording is
 * lock-free. Time comes from the given clock, so tests control it. Thread-safe; a bucket being
 * reset while another thread records into it may lose that one outcome.
 */
public final class OutcomeWindow {
  static final int BUCKETS = 10;
  static final int BINS = 72; // 2^(1/4) apart from 1 ms: bin 71 is about 2 hours
  private static final int STRIDE = BINS + 3; // [epoch, requests, failures, bins...]

  private final Clock clock;
  private final long bucketMillis;
  private final AtomicLongArray cells = new AtomicLongArray(BUCKETS * STRIDE);

  /**
   * @param window how far back outcomes count; positive
   * @param clock the time
   */
  public OutcomeWindow(Duration window, Clock clock) {
    this.clock = clock;
    this.bucketMillis = Math.max(1, window.toMillis() / BUCKETS);
    for (int b = 0; b < BUCKETS; b++) {
      cells.set(b * STRIDE, -1);
    }
  }

  /** Records one outcome. */
  public void record(boolean failed, long nanos) {
    long epoch = clock.millis() / bucketMillis;
    int base = (int) (epoch % BUCKETS) * STRIDE;
    long seen = cells.get(base);
    if (seen != epoch && cells.compareAndSet(base, seen, epoch)) {
      for (int i = 1; i < STRIDE; i++) {
        cells.set(base + i, 0);
      }
    }
    cells.incrementAndGet(base + 1);
    if (failed) {
      cells.incrementAndGet(base + 2);
    }
    cells.incrementAndGet(base + 3 + bin(nanos));
  }

  /** Returns the outcomes of the window now: requests, error rate and p95 latency. */
  public Stats stats() {
    long now = clock.millis() / bucketMillis;
    long requests = 0;
    long failures = 0;
    long[] bins = new long[BINS];
    for (int b = 0; b < BUCKETS; b++) {
      int base = b * STRIDE;
      long epoch = cells.get(base);
      if (epoch < 0 || now - epoch >= BUCKETS) {
        continue; // empty, or older than the window
      }
      requests += cells.get(base + 1);
      failures += cells.get(base + 2);
      for (int i = 0; i < BINS; i++) {
        bins[i] += cells.get(base + 3 + i);
      }
    }
    return new Stats(requests, failures, percentile(bins, requests, 0.95));
  }

  /** One window's numbers. */
  public record Stats(long requests, long failures, double p95Millis) {
    /** Returns the share of requests that failed; 0 with none. */
    public double errorRate() {
      return requests == 0 ? 0 : (double) failures / requests;
    }
  }

  static int bin(long nanos) {
    double millis = nanos / 1e6;
    if (millis <= 1) {
      return 0;
    }
    int b = (int) Math.ceil(4 * Math.log(millis) / Math.log(2));
    return Math.min(BINS - 1, b);
  }

  /** Returns the upper edge, in milliseconds, of bin {@code b}. */
  static double binMillis(int b) {
    return Math.pow(2, b / 4.0);
  }

  private static double percentile(long[] bins, long total, double q) {
    if (total == 0) {
      return -1;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < bins.length; i++) {
      seen += bins[i];
      if (seen >= rank) {
        return binMillis(i);
      }
    }
    return binMillis(bins.length - 1);
  }
}
