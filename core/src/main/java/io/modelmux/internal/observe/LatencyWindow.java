package io.modelmux.internal.observe;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A model's most recent latencies ({@value #SIZE} of them) and their median, for choosing the
 * fastest model. Recording is lock-free (one increment and one array store); the median is
 * recomputed at most once every {@value #REFRESH} recordings, so reading it is cheap enough for
 * the request path. Thread-safe; a median computed while recordings race is approximate, which
 * is all a choice between models needs.
 */
public final class LatencyWindow {
  static final int SIZE = 128;
  static final int REFRESH = 16;

  private final AtomicLongArray samples = new AtomicLongArray(SIZE);
  private final AtomicLong count = new AtomicLong();
  private volatile long median = -1;
  private volatile long medianAt = -REFRESH;

  /** Records one request's latency in nanoseconds. */
  public void record(long nanos) {
    long n = count.getAndIncrement();
    samples.set((int) (n % SIZE), nanos);
  }

  /** Returns the median of the recent latencies in nanoseconds, or -1 when none was recorded. */
  public long median() {
    long n = count.get();
    if (n == 0) {
      return -1;
    }
    if (n - medianAt >= REFRESH || median < 0) {
      int size = (int) Math.min(n, SIZE);
      long[] copy = new long[size];
      for (int i = 0; i < size; i++) {
        copy[i] = samples.get(i);
      }
      Arrays.sort(copy);
      median = copy[size / 2];
      medianAt = n;
    }
    return median;
  }
}
