package io.modelmux.internal.observe;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Outcomes (success or failure, and latency) over a sliding time window, for judging a canary:
 * the window is cut into {@value #BUCKETS} buckets of equal length, each counting requests,
 * failures and latencies in logarithmic bins (about 19 % wide, from 1 ms to about 2 hours), so
 * that the error rate and the 95th percentile cost a few hundred additions to read. Recording is
 * lock-free and loses nothing: a bucket is never cleared in place, a new lap of the window swaps
 * in a fresh one (one allocation per bucket length), so a recording can only miss an old lap's
 * bucket, whose outcomes have left the window anyway. Time comes from the given clock, so tests
 * control it. Thread-safe.
 */
public final class OutcomeWindow {
  static final int BUCKETS = 10;
  static final int BINS = 72; // 2^(1/4) apart from 1 ms: bin 71 is about 2 hours
  private static final int STRIDE = BINS + 2; // [requests, failures, bins...]

  private final Clock clock;
  private final long bucketMillis;
  private final AtomicReferenceArray<Bucket> buckets = new AtomicReferenceArray<>(BUCKETS);

  /**
   * @param window how far back outcomes count; positive
   * @param clock the time
   */
  public OutcomeWindow(Duration window, Clock clock) {
    this.clock = clock;
    this.bucketMillis = Math.max(1, window.toMillis() / BUCKETS);
  }

  /** Records one outcome. */
  public void record(boolean failed, long nanos) {
    long epoch = clock.millis() / bucketMillis;
    int slot = (int) (epoch % BUCKETS);
    Bucket bucket = buckets.get(slot);
    while (bucket == null || bucket.epoch < epoch) {
      Bucket fresh = new Bucket(epoch);
      if (buckets.compareAndSet(slot, bucket, fresh)) {
        bucket = fresh;
      } else {
        bucket = buckets.get(slot); // another thread swapped first: use its bucket
      }
    }
    // a bucket of a later lap means this thread read the clock just before it turned: the
    // outcome counts in the later bucket rather than being dropped
    bucket.cells.incrementAndGet(0);
    if (failed) {
      bucket.cells.incrementAndGet(1);
    }
    bucket.cells.incrementAndGet(2 + bin(nanos));
  }

  /** Returns the outcomes of the window now: requests, error rate and p95 latency. */
  public Stats stats() {
    long now = clock.millis() / bucketMillis;
    long requests = 0;
    long failures = 0;
    long[] bins = new long[BINS];
    for (int b = 0; b < BUCKETS; b++) {
      Bucket bucket = buckets.get(b);
      if (bucket == null || now - bucket.epoch >= BUCKETS) {
        continue; // empty, or older than the window
      }
      requests += bucket.cells.get(0);
      failures += bucket.cells.get(1);
      for (int i = 0; i < BINS; i++) {
        bins[i] += bucket.cells.get(2 + i);
      }
    }
    return new Stats(requests, failures, percentile(bins, requests, 0.95));
  }

  /** One bucket length's counts; its epoch never changes. */
  private static final class Bucket {
    final long epoch;
    final AtomicLongArray cells = new AtomicLongArray(STRIDE);

    Bucket(long epoch) {
      this.epoch = epoch;
    }
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
