package io.modelmux.internal.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.modelmux.CacheConfig;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.ResponseCacheStats;
import io.modelmux.internal.registry.RegisteredModel;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Answers kept for requests that would get them again (Caffeine), and the requests being
 * answered now, so that identical requests at the same time make one backend call.
 *
 * <p>Bounds: at most {@code max_entries} answers and {@code max_bytes} of them, each answer
 * weighing its bytes (its text and its request's, twice their characters, and 256 for the rest)
 * but at least {@code max_bytes / max_entries}: Caffeine bounds one weight, and this weight keeps
 * both bounds. Each answer lives {@code ttl} after it was stored, on the manager's clock. Keys
 * carry the registration's number, not the registration, so an entry never keeps an
 * unregistered model alive; {@link #invalidate} drops a registration's entries when it goes.
 * Thread-safe.
 */
public final class ResponseCache {
  private static final int OVERHEAD = 256;

  private final Cache<CacheKey, GenerateResponse> answers;
  private final ConcurrentHashMap<CacheKey, CompletableFuture<@Nullable GenerateResponse>> inFlight = new ConcurrentHashMap<>();
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder coalesced = new LongAdder();
  private final CacheConfig config;

  public ResponseCache(CacheConfig config, Clock clock) {
    this.config = config;
    long floor = Math.max(1, config.maxBytes() / config.maxEntries());
    Ticker ticker = clock.equals(Clock.systemUTC()) ? Ticker.systemTicker() : () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
    this.answers = Caffeine.newBuilder()
        .maximumWeight(config.maxBytes())
        .<CacheKey, GenerateResponse>weigher((k, r) -> (int) Math.min(Integer.MAX_VALUE, Math.max(floor, bytes(k, r))))
        .expireAfterWrite(config.ttl())
        .ticker(ticker)
        .executor(Runnable::run) // upkeep on the callers' threads: nothing runs after close()
        .recordStats()
        .build();
  }

  private static long bytes(CacheKey key, GenerateResponse response) {
    return 2 * (key.chars() + response.text().length()) + OVERHEAD;
  }

  /** Returns the key of {@code request} served by {@code target}. */
  public CacheKey key(RegisteredModel target, GenerateRequest request) {
    return new CacheKey(target.sequence, request);
  }

  /** Returns the answer kept for {@code key}, or null; counts a hit or a miss. */
  public @Nullable GenerateResponse get(CacheKey key) {
    GenerateResponse r = answers.getIfPresent(key);
    (r != null ? hits : misses).increment();
    return r;
  }

  /**
   * Returns the answer being made for {@code key} by another request, or null after making
   * {@code mine} the one others wait for (complete it, then {@link #land} it).
   */
  public @Nullable CompletableFuture<@Nullable GenerateResponse> lead(
      CacheKey key, CompletableFuture<@Nullable GenerateResponse> mine) {
    return inFlight.putIfAbsent(key, mine);
  }

  /** Ends the flight {@code mine} led. */
  public void land(CacheKey key, CompletableFuture<@Nullable GenerateResponse> mine) {
    inFlight.remove(key, mine);
  }

  /** Counts a request answered by waiting for an identical one; it was counted a miss first. */
  public void coalesced() {
    misses.decrement();
    hits.increment();
    coalesced.increment();
  }

  /** Keeps {@code response} for {@code key}. */
  public void put(CacheKey key, GenerateResponse response) {
    answers.put(key, response);
  }

  /** Drops every answer of {@code model}'s registration. */
  public void invalidate(RegisteredModel model) {
    long registration = model.sequence;
    answers.asMap().keySet().removeIf(k -> k.registration() == registration);
  }

  /** Drops every answer. */
  public void clear() {
    answers.invalidateAll();
  }

  /** Returns the cache's figures now. */
  public ResponseCacheStats stats() {
    answers.cleanUp();
    long bytes = 0;
    for (var e : answers.asMap().entrySet()) {
      bytes += bytes(e.getKey(), e.getValue());
    }
    return new ResponseCacheStats(
        hits.sum(), misses.sum(), coalesced.sum(), answers.estimatedSize(), bytes, answers.stats().evictionCount(),
        config);
  }
}
