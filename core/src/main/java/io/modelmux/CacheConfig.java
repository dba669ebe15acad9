package io.modelmux;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@code cache:} section of {@code models.yaml}: the response cache's bounds and time to
 * live. Only deterministic requests are cached (temperature 0 or a seed given), and those marked
 * {@linkplain GenerateRequest.Builder#cacheable(boolean) cacheable}; a request can opt out. The
 * cache holds at most {@code maxEntries} answers and {@code maxBytes} of them (an answer's bytes:
 * its text, its request's text and a fixed overhead; each counts as at least {@code maxBytes /
 * maxEntries}, which is how one bound keeps both), each for {@code ttl} after it was stored.
 * Immutable.
 *
 * @param maxEntries the most answers kept; at least 1
 * @param maxBytes the most bytes of answers kept; at least 1 KiB
 * @param ttl how long an answer is kept; positive
 */
public record CacheConfig(long maxEntries, long maxBytes, Duration ttl) {
  /** The bytes kept when the section gives no {@code max_bytes}: 64 MiB. */
  public static final long DEFAULT_MAX_BYTES = 64L << 20;

  /** Checks the arguments. */
  public CacheConfig {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
    }
    if (maxBytes < 1024) {
      throw new IllegalArgumentException("maxBytes must be at least 1024, got " + maxBytes);
    }
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, got " + ttl);
    }
  }

  /** A cache of {@code maxEntries} answers and at most {@value #DEFAULT_MAX_BYTES} bytes, each kept for {@code ttl}. */
  public CacheConfig(long maxEntries, Duration ttl) {
    this(maxEntries, DEFAULT_MAX_BYTES, ttl);
  }
}
