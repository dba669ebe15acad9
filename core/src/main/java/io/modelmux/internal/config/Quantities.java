package io.modelmux.internal.config;

import io.modelmux.spi.MessageText;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the quantities written in configuration: byte sizes ({@code 512MB}, {@code 2GiB}),
 * fractions ({@code 80%}) and durations ({@code 500ms}, {@code 5m}, {@code 1h30m},
 * {@code PT5M}, {@code -1}). Each method throws {@link IllegalArgumentException} whose message
 * says what is accepted; callers turn it into a located {@code ConfigException}.
 */
public final class Quantities {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]?i?b)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION_PART =
      Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  /** What a size may look like, for error messages. */
  public static final String SIZE_FORMS = "bytes as a number, or with a unit such as 512MB, 2GiB";

  /** What a duration may look like, for error messages. */
  public static final String DURATION_FORMS =
      "a duration such as 500ms, 30s, 5m, 1h30m or PT5M; a bare number means seconds; -1 means"
          + " forever";

  private Quantities() {}

  /**
   * Parses a byte size: a whole number of bytes, or a number with a decimal unit (KB, MB, GB,
   * TB, PB: powers of 1000) or a binary one (KiB, MiB, GiB, TiB, PiB: powers of 1024).
   */
  public static long parseBytes(String text) {
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(MessageText.quote(text) + " is not a size: expected " + SIZE_FORMS);
    }
    double number = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    double scale;
    switch (unit) {
      case "b":
        scale = 1;
        break;
      case "kb":
        scale = 1e3;
        break;
      case "mb":
        scale = 1e6;
        break;
      case "gb":
        scale = 1e9;
        break;
      case "tb":
        scale = 1e12;
        break;
      case "pb":
        scale = 1e15;
        break;
      case "kib":
        scale = 1L << 10;
        break;
      case "mib":
        scale = 1L << 20;
        break;
      case "gib":
        scale = 1L << 30;
        break;
      case "tib":
        scale = 1L << 40;
        break;
      case "pib":
        scale = 1L << 50;
        break;
      default:
        throw new IllegalArgumentException(
            MessageText.quote(text) + " has an unknown unit " + MessageText.quote(m.group(2)) + ": expected " + SIZE_FORMS);
    }
    double bytes = number * scale;
    if (bytes >= Long.MAX_VALUE) {
      throw new IllegalArgumentException(MessageText.quote(text) + " is too large");
    }
    if (("b".equals(unit)) && m.group(1).contains(".")) {
      throw new IllegalArgumentException(
          MessageText.quote(text) + " is a fraction of a byte: expected " + SIZE_FORMS);
    }
    return Math.round(bytes);
  }

  /** Returns whether {@code text} is a percentage such as {@code 80%}. */
  public static boolean isPercent(String text) {
    return text.strip().endsWith("%");
  }

  /** Parses a percentage in (0, 100] into a fraction in (0, 1]. */
  public static double parsePercent(String text) {
    return parsePercent(text, false);
  }

  /**
   * Parses a percentage into a fraction: in (0, 100], or [0, 100] when {@code zeroAllowed}
   * (a headroom of {@code 0%} is no headroom).
   */
  public static double parsePercent(String text, boolean zeroAllowed) {
    String s = text.strip();
    if (!s.endsWith("%")) {
      throw new IllegalArgumentException(MessageText.quote(text) + " is not a percentage such as 80%");
    }
    double value;
    try {
      value = Double.parseDouble(s.substring(0, s.length() - 1).strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(MessageText.quote(text) + " is not a percentage such as 80%", e);
    }
    if (!((value > 0 || zeroAllowed && value == 0) && value <= 100)) {
      throw new IllegalArgumentException(
          MessageText.quote(text) + (zeroAllowed ? " must be from 0% to 100%" : " must be more than 0% and at most 100%"));
    }
    return value / 100.0;
  }

  /**
   * Parses a duration. A negative number (conventionally {@code -1}) returns a negative
   * duration, which callers read as "forever".
   */
  public static Duration parseDuration(String text) {
    String s = text.strip();
    if (s.isEmpty()) {
      throw new IllegalArgumentException("an empty value is not a duration: expected " + DURATION_FORMS);
    }
    if (s.matches("-\\d+")) {
      return Duration.ofSeconds(-1);
    }
    if (s.matches("\\d+")) {
      return Duration.ofSeconds(Long.parseLong(s));
    }
    if (s.regionMatches(true, 0, "PT", 0, 2) || s.regionMatches(true, 0, "P", 0, 1)) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            MessageText.quote(text) + " is not a duration: expected " + DURATION_FORMS, e);
      }
    }
    Matcher m = DURATION_PART.matcher(s);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      double n = Double.parseDouble(m.group(1));
      long nanosPerUnit;
      switch (m.group(2).toLowerCase(Locale.ROOT)) {
        case "ms":
          nanosPerUnit = 1_000_000L;
          break;
        case "s":
          nanosPerUnit = 1_000_000_000L;
          break;
        case "m":
          nanosPerUnit = 60_000_000_000L;
          break;
        case "h":
          nanosPerUnit = 3_600_000_000_000L;
          break;
        default:
          nanosPerUnit = 86_400_000_000_000L;
          break;
      }
      total = total.plusNanos(Math.round(n * nanosPerUnit));
      end = m.end();
    }
    if (end != s.length() || end == 0) {
      throw new IllegalArgumentException(
          MessageText.quote(text) + " is not a duration: expected " + DURATION_FORMS);
    }
    return total;
  }
}
