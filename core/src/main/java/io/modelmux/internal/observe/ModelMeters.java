package io.modelmux.internal.observe;

import io.modelmux.GenerateResponse;
import io.modelmux.ServingStats;
import io.modelmux.Usage;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * One registration's serving figures, recorded on the request path: three {@link Histogram}s
 * (latency, time to first token, time per output token) and counters. Fixed memory (about 10
 * KB), except the errors by type, which has one entry per failure class ever seen (the
 * documented family, and {@code BackendException} for anything else an adapter throws). Recording
 * a success allocates nothing. Thread-safe.
 */
public final class ModelMeters {
  private final Histogram latency = new Histogram();
  private final Histogram timeToFirstToken = new Histogram();
  private final Histogram timePerOutputToken = new Histogram();
  private final LongAdder inputTokens = new LongAdder();
  private final LongAdder outputTokens = new LongAdder();
  private final LongAdder generationNanos = new LongAdder();
  private final LongAdder cacheHits = new LongAdder();
  private final LongAdder cacheMisses = new LongAdder();
  private final LongAdder fallbacks = new LongAdder();
  private final LongAdder cost = new LongAdder();
  private final LongAdder shadowCost = new LongAdder();
  private final Map<Class<?>, LongAdder> errors = new ConcurrentHashMap<>();

  /** Records a successful attempt of {@code attemptNanos} that gave {@code response}. */
  public void served(long attemptNanos, GenerateResponse response) {
    latency.record(attemptNanos);
    generationNanos.add(attemptNanos);
    Duration ttft = response.timeToFirstToken().orElse(null);
    if (ttft != null) {
      timeToFirstToken.record(ttft.toNanos());
    }
    Usage usage = response.usage().orElse(null);
    if (usage != null) {
      inputTokens.add(usage.promptTokens());
      outputTokens.add(usage.completionTokens());
      if (ttft != null && usage.completionTokens() > 1) {
        long after = response.latency().toNanos() - ttft.toNanos();
        if (after >= 0) {
          timePerOutputToken.record(after / (usage.completionTokens() - 1));
        }
      }
    }
  }

  /** Records a failed or skipped attempt. */
  public void failed(Throwable failure) {
    LongAdder n = errors.get(failure.getClass());
    if (n == null) {
      n = errors.computeIfAbsent(failure.getClass(), c -> new LongAdder());
    }
    n.increment();
  }

  /** Records a response's cost in billionths: a shadow copy's apart. */
  public void cost(long nanos, boolean shadow) {
    (shadow ? shadowCost : cost).add(nanos);
  }

  /** Returns the cost of the caller's requests it served, in currency. */
  public double cost() {
    return cost.sum() / SpendBook.NANOS;
  }

  /** Records that a request left this model for another. */
  public void fellBack() {
    fallbacks.increment();
  }

  /** Records the cache's answer for a request to this model. */
  public void cache(boolean hit) {
    (hit ? cacheHits : cacheMisses).increment();
  }

  /** Returns how often requests left this model for another. */
  public long fallbacks() {
    return fallbacks.sum();
  }

  /** Returns the cache's hits for this model. */
  public long cacheHits() {
    return cacheHits.sum();
  }

  /** Returns the cache's misses for this model. */
  public long cacheMisses() {
    return cacheMisses.sum();
  }

  /** Returns a snapshot. */
  public ServingStats stats() {
    Map<String, Long> byType = new HashMap<>();
    errors.forEach((c, n) -> byType.merge(c.getSimpleName(), n.sum(), Long::sum));
    return ServingStats.builder()
        .latencies(latency.stats(), timeToFirstToken.stats(), timePerOutputToken.stats())
        .tokens(inputTokens.sum(), outputTokens.sum(), generationNanos.sum())
        .errors(byType)
        .cache(cacheHits.sum(), cacheMisses.sum())
        .fallbacks(fallbacks.sum())
        .cost(cost.sum() / SpendBook.NANOS, shadowCost.sum() / SpendBook.NANOS)
        .build();
  }
}
