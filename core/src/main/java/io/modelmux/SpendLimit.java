package io.modelmux;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Objects;

/**
 * The most a model (or a route) may spend in each period, in its prices' currency. Periods are
 * windows in UTC: {@linkplain #perMonth calendar months}, {@linkplain #perWeek weeks from
 * Monday}, or spans of a fixed length from the epoch ({@link #per}: a day from midnight UTC, an
 * hour on the hour). Before each call the worst case is reserved (the prompt's tokens at the
 * input price and {@code max_tokens} at the output price) and after it the reservation is
 * settled to the real cost, so that concurrent requests never push spend past the limit. In
 * {@code models.yaml}: {@code spend_limit: {amount: 5.00, period: day}} ({@code hour}, {@code
 * day}, {@code week}, {@code month}, or a duration such as {@code 12h}). Immutable.
 */
public final class SpendLimit {
  private enum Kind {
    FIXED,
    WEEK,
    MONTH
  }

  private static final Duration WEEK = Duration.ofDays(7);
  private static final long MONDAY_OFFSET_DAYS = 4; // 1970-01-01 was a Thursday

  private final double amount;
  private final Kind kind;
  private final Duration length;

  private SpendLimit(double amount, Kind kind, Duration length) {
    if (!(amount >= 0) || Double.isInfinite(amount)) {
      throw new IllegalArgumentException("a spend limit must be a finite amount of at least 0, got " + amount);
    }
    this.amount = amount;
    this.kind = kind;
    this.length = length;
  }

  /**
   * Returns a limit of {@code amount} for each span of {@code period} counted from the epoch in
   * UTC (a day from midnight, an hour on the hour).
   *
   * @param period at least one second
   */
  public static SpendLimit per(double amount, Duration period) {
    Objects.requireNonNull(period, "period");
    if (period.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("a spend limit's period must be at least 1s, got " + period);
    }
    return new SpendLimit(amount, Kind.FIXED, period);
  }

  /** Returns a limit of {@code amount} for each week, from Monday 00:00 UTC. */
  public static SpendLimit perWeek(double amount) {
    return new SpendLimit(amount, Kind.WEEK, WEEK);
  }

  /** Returns a limit of {@code amount} for each calendar month, from its first day 00:00 UTC. */
  public static SpendLimit perMonth(double amount) {
    return new SpendLimit(amount, Kind.MONTH, Duration.ofDays(31));
  }

  /** Returns the most that may be spent in one period. */
  public double amount() {
    return amount;
  }

  /** Returns when the period holding {@code now} began. */
  public Instant periodStart(Instant now) {
    switch (kind) {
      case MONTH:
        LocalDate d = LocalDate.ofInstant(now, ZoneOffset.UTC);
        return d.withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      case WEEK:
        long offset = Duration.ofDays(MONDAY_OFFSET_DAYS).toMillis();
        long week = WEEK.toMillis();
        long ms = now.toEpochMilli() - offset;
        return Instant.ofEpochMilli(Math.floorDiv(ms, week) * week + offset);
      default:
        long len = length.toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(now.toEpochMilli(), len) * len);
    }
  }

  /** Returns when the period holding {@code now} ends, and the next begins. */
  public Instant periodEnd(Instant now) {
    Instant start = periodStart(now);
    if (kind == Kind.MONTH) {
      return LocalDate.ofInstant(start, ZoneOffset.UTC).plusMonths(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
    return start.plus(length);
  }

  /** Returns the period in words: {@code month}, {@code week}, {@code day}, {@code hour} or a duration. */
  public String period() {
    switch (kind) {
      case MONTH:
        return "month";
      case WEEK:
        return "week";
      default:
        if (length.equals(Duration.ofDays(1))) {
          return "day";
        }
        if (length.equals(Duration.ofHours(1))) {
          return "hour";
        }
        return length.toString().substring(2).toLowerCase(Locale.ROOT);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpendLimit && ((SpendLimit) o).amount == amount && ((SpendLimit) o).kind == kind
        && ((SpendLimit) o).length.equals(length);
  }

  @Override
  public int hashCode() {
    return Objects.hash(amount, kind, length);
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%.2f per %s", amount, period());
  }
}
