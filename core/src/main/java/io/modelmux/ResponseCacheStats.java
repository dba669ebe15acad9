package io.modelmux;

import java.util.Objects;

/**
 * The response cache's figures ({@link ManagerMetrics#cache()}): cacheable requests it answered
 * (from a kept answer, or by waiting for an identical request in flight — those are also counted
 * in {@code coalesced}) and those it could not, the answers kept now and their bytes, the answers
 * it dropped to stay in its bounds (expired ones are not counted), and its configuration.
 * Immutable.
 *
 * @param hits cacheable requests answered without a call of their own
 * @param misses cacheable requests that made a call
 * @param coalesced of the hits, those that waited for an identical request in flight
 * @param entries answers kept now
 * @param bytes their bytes (text of the answers and their requests, and a fixed overhead)
 * @param evictions answers dropped to stay within the bounds
 * @param config the bounds and time to live
 */
public record ResponseCacheStats(
    long hits, long misses, long coalesced, long entries, long bytes, long evictions, CacheConfig config) {
  /** Checks the arguments. */
  public ResponseCacheStats {
    Objects.requireNonNull(config, "config");
  }

  /** Returns the share of cacheable requests the cache answered; 0 before any. */
  public double hitRate() {
    long n = hits + misses;
    return n == 0 ? 0 : (double) hits / n;
  }
}
