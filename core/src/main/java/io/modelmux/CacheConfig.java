package io.modelmux;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@code cache:} section of {@code models.yaml}: the response cache's size and time to live.
 * Only deterministic requests (temperature 0 or a fixed seed) are cached. Immutable.
 *
 * @param maxEntries the most responses kept; at least 1
 * @param ttl how long a response is kept; positive
 */
public record CacheConfig(long maxEntries, Duration ttl) {
  /** Checks the arguments. */
  public CacheConfig {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
    }
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, got " + ttl);
    }
  }
}
