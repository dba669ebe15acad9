package io.modelmux;

import java.time.Duration;
import java.util.Objects;

/**
 * A distribution of durations since a model was registered: how many, their mean, the 50th, 95th
 * and 99th percentiles and the largest. Percentiles come from a fixed-size histogram whose bins
 * are at most 12.5 % wide, so each is within one bin above the true value. Immutable.
 *
 * @param count how many durations were recorded
 * @param mean their mean; zero when none
 * @param p50 the median
 * @param p95 the 95th percentile
 * @param p99 the 99th percentile
 * @param max the largest
 */
public record LatencyStats(long count, Duration mean, Duration p50, Duration p95, Duration p99, Duration max) {
  /** None recorded. */
  public static final LatencyStats EMPTY =
      new LatencyStats(0, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);

  /** Checks the arguments. */
  public LatencyStats {
    if (count < 0) {
      throw new IllegalArgumentException("count must not be negative, got " + count);
    }
    Objects.requireNonNull(mean, "mean");
    Objects.requireNonNull(p50, "p50");
    Objects.requireNonNull(p95, "p95");
    Objects.requireNonNull(p99, "p99");
    Objects.requireNonNull(max, "max");
  }

  @Override
  public String toString() {
    return count == 0
        ? "none"
        : count + " (p50 " + millis(p50) + ", p95 " + millis(p95) + ", p99 " + millis(p99) + ", max " + millis(max) + ")";
  }

  private static String millis(Duration d) {
    return String.format(java.util.Locale.ROOT, "%.1f ms", d.toNanos() / 1e6);
  }
}
