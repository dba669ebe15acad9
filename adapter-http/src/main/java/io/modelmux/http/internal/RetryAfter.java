package io.modelmux.http.internal;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/**
 * The wait a server asks for, read from {@code retry-after-ms} (OpenAI's milliseconds) or {@code
 * Retry-After} (seconds, or an HTTP date): the guard's retry waits what the failure at hand
 * asked for. Values that are not a finite, non-negative number or a date are ignored.
 */
public final class RetryAfter {
  /** Longer than any server would sensibly ask: beyond it the value is taken as this. */
  private static final Duration LONGEST = Duration.ofDays(1);

  private RetryAfter() {}

  /**
   * Returns the wait asked for, or null when none can be read.
   *
   * @param header the {@code Retry-After} header, or null
   * @param millisHeader the {@code retry-after-ms} header, or null (it wins when it reads)
   */
  public static @Nullable Duration parse(@Nullable String header, @Nullable String millisHeader) {
    Duration ms = number(millisHeader, 1);
    if (ms != null) {
      return ms;
    }
    if (header == null || header.isBlank()) {
      return null;
    }
    Duration seconds = number(header, 1000);
    if (seconds != null) {
      return seconds;
    }
    try {
      Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(header.strip(), DateTimeFormatter.RFC_1123_DATE_TIME));
      return d.isNegative() ? Duration.ZERO : min(d);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static @Nullable Duration number(@Nullable String text, double millisPerUnit) {
    if (text == null || text.isBlank()) {
      return null;
    }
    double value;
    try {
      value = Double.parseDouble(text.strip());
    } catch (NumberFormatException e) {
      return null;
    }
    if (!Double.isFinite(value) || value < 0) {
      return null;
    }
    double millis = value * millisPerUnit;
    return millis >= LONGEST.toMillis() ? LONGEST : Duration.ofMillis((long) millis);
  }

  private static Duration min(Duration d) {
    return d.compareTo(LONGEST) > 0 ? LONGEST : d;
  }
}
