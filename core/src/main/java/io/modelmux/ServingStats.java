package io.modelmux;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How a model served since it was registered: latency (of its attempts, waits for a slot and
 * for memory included), time to first token, time per output token after the first, tokens in
 * and out, output tokens per second of generation, errors by type, the response cache's hits and
 * misses for it, and how often a request left it for another model. Part of {@link ModelStatus};
 * built in the way of Caffeine's {@code CacheStats}, so that a new figure breaks no caller.
 * Immutable.
 */
public final class ServingStats {
  private static final ServingStats EMPTY = builder().build();

  private final LatencyStats latency;
  private final LatencyStats timeToFirstToken;
  private final LatencyStats timePerOutputToken;
  private final long inputTokens;
  private final long outputTokens;
  private final long generationNanos;
  private final Map<String, Long> errors;
  private final long cacheHits;
  private final long cacheMisses;
  private final long fallbacks;
  private final double cost;
  private final double shadowCost;

  private ServingStats(Builder b) {
    this.latency = b.latency;
    this.timeToFirstToken = b.timeToFirstToken;
    this.timePerOutputToken = b.timePerOutputToken;
    this.inputTokens = b.inputTokens;
    this.outputTokens = b.outputTokens;
    this.generationNanos = b.generationNanos;
    this.errors = java.util.Collections.unmodifiableMap(new TreeMap<>(b.errors));
    this.cacheHits = b.cacheHits;
    this.cacheMisses = b.cacheMisses;
    this.fallbacks = b.fallbacks;
    this.cost = b.cost;
    this.shadowCost = b.shadowCost;
  }

  /** Returns stats with nothing recorded. */
  public static ServingStats empty() {
    return EMPTY;
  }

  /** Returns a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the latencies of the model's successful attempts. */
  public LatencyStats latency() {
    return latency;
  }

  /** Returns the times to first token, where the model or its stream told them. */
  public LatencyStats timeToFirstToken() {
    return timeToFirstToken;
  }

  /** Returns the times per output token after the first, for answers of two tokens or more with a time to first token. */
  public LatencyStats timePerOutputToken() {
    return timePerOutputToken;
  }

  /** Returns the prompt tokens of the requests it answered, as reported or counted. */
  public long inputTokens() {
    return inputTokens;
  }

  /** Returns the tokens it generated, as reported or counted. */
  public long outputTokens() {
    return outputTokens;
  }

  /** Returns output tokens per second of its successful attempts' time; 0 before any. */
  public double tokensPerSecond() {
    return generationNanos <= 0 ? 0 : outputTokens * 1e9 / generationNanos;
  }

  /**
   * Returns failed and skipped attempts by the simple name of their failure's class (such as
   * {@code RateLimitedException} or {@code CircuitOpenException}), sorted by name.
   */
  public Map<String, Long> errors() {
    return errors;
  }

  /** Returns requests for this model the response cache answered. */
  public long cacheHits() {
    return cacheHits;
  }

  /** Returns cacheable requests for this model the cache could not answer. */
  public long cacheMisses() {
    return cacheMisses;
  }

  /**
   * Returns how often a request left this model for another: a route's fallback or an
   * equivalent after a failure, a model for the failure's kind, or an overflow before any call.
   */
  public long fallbacks() {
    return fallbacks;
  }

  /** Returns what the caller's requests it answered cost, from its price; 0 without one. */
  public double cost() {
    return cost;
  }

  /** Returns what the shadow copies it answered cost, counted apart. */
  public double shadowCost() {
    return shadowCost;
  }

  @Override
  public String toString() {
    return "ServingStats{latency=" + latency + ", ttft=" + timeToFirstToken + ", tokens=" + inputTokens + "/" + outputTokens
        + (errors.isEmpty() ? "" : ", errors=" + errors)
        + (cacheHits + cacheMisses > 0 ? ", cache=" + cacheHits + "/" + (cacheHits + cacheMisses) : "")
        + (fallbacks > 0 ? ", fallbacks=" + fallbacks : "") + '}';
  }

  /** Builds {@link ServingStats}. Not thread-safe. */
  public static final class Builder {
    private LatencyStats latency = LatencyStats.EMPTY;
    private LatencyStats timeToFirstToken = LatencyStats.EMPTY;
    private LatencyStats timePerOutputToken = LatencyStats.EMPTY;
    private long inputTokens;
    private long outputTokens;
    private long generationNanos;
    private Map<String, Long> errors = Map.of();
    private long cacheHits;
    private long cacheMisses;
    private long fallbacks;
    private double cost;
    private double shadowCost;

    private Builder() {}

    /** Sets the latency, time to first token and time per output token distributions. */
    public Builder latencies(LatencyStats latency, LatencyStats timeToFirstToken, LatencyStats timePerOutputToken) {
      this.latency = Objects.requireNonNull(latency, "latency");
      this.timeToFirstToken = Objects.requireNonNull(timeToFirstToken, "timeToFirstToken");
      this.timePerOutputToken = Objects.requireNonNull(timePerOutputToken, "timePerOutputToken");
      return this;
    }

    /** Sets the tokens in and out, and the nanoseconds of generation they took; not negative. */
    public Builder tokens(long inputTokens, long outputTokens, long generationNanos) {
      if (inputTokens < 0 || outputTokens < 0 || generationNanos < 0) {
        throw new IllegalArgumentException("token counts and time must not be negative");
      }
      this.inputTokens = inputTokens;
      this.outputTokens = outputTokens;
      this.generationNanos = generationNanos;
      return this;
    }

    /** Sets the errors by type. */
    public Builder errors(Map<String, Long> errors) {
      this.errors = Map.copyOf(Objects.requireNonNull(errors, "errors"));
      return this;
    }

    /** Sets the cache's hits and misses for the model; not negative. */
    public Builder cache(long hits, long misses) {
      if (hits < 0 || misses < 0) {
        throw new IllegalArgumentException("cache counts must not be negative");
      }
      this.cacheHits = hits;
      this.cacheMisses = misses;
      return this;
    }

    /** Sets how often requests left the model for another; not negative. */
    public Builder fallbacks(long fallbacks) {
      if (fallbacks < 0) {
        throw new IllegalArgumentException("fallbacks must not be negative");
      }
      this.fallbacks = fallbacks;
      return this;
    }

    /** Sets the cost of the caller's requests and of shadow copies; not negative. */
    public Builder cost(double cost, double shadowCost) {
      if (!(cost >= 0) || !(shadowCost >= 0)) {
        throw new IllegalArgumentException("costs must not be negative");
      }
      this.cost = cost;
      this.shadowCost = shadowCost;
      return this;
    }

    /** Returns the stats. */
    public ServingStats build() {
      return new ServingStats(this);
    }
  }
}
