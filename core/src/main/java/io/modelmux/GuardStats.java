package io.modelmux;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * How a model's guard stands, at one moment: its circuit breaker's state, the failure rate it
 * judges by and when an open circuit lets a probe through; its concurrency limit, the calls in
 * it and the requests queued for it; how many attempts were retried, skipped as open or turned
 * away as overloaded. An immutable snapshot built with {@link #builder()}, so that a statistic
 * added later breaks no caller.
 */
public final class GuardStats {
  /** A circuit breaker's state. */
  public enum CircuitState {
    /** Calls pass; outcomes are counted. */
    CLOSED,
    /** Calls are refused until the open time ends. */
    OPEN,
    /** A probe is let through; its outcome closes or reopens the circuit. */
    HALF_OPEN,
    /** The model has no breaker ({@code circuit_breaker: off}). */
    DISABLED
  }

  private static final GuardStats EMPTY = builder().build();

  private final CircuitState circuit;
  private final float failureRate;
  private final @Nullable Instant probeAt;
  private final int maxConcurrency;
  private final int active;
  private final int queued;
  private final long retries;
  private final long circuitOpen;
  private final long overloaded;
  private final Map<String, CircuitState> replicas;

  private GuardStats(Builder b) {
    this.circuit = b.circuit;
    this.failureRate = b.failureRate;
    this.probeAt = b.probeAt;
    this.maxConcurrency = b.maxConcurrency;
    this.active = b.active;
    this.queued = b.queued;
    this.retries = b.retries;
    this.circuitOpen = b.circuitOpen;
    this.overloaded = b.overloaded;
    this.replicas = Collections.unmodifiableMap(new LinkedHashMap<>(b.replicas));
  }

  /** Returns the stats of a model without a breaker or limit that saw no request. */
  public static GuardStats empty() {
    return EMPTY;
  }

  /** Returns a builder: circuit disabled, no limit, every count at zero. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the circuit breaker's state. */
  public CircuitState circuit() {
    return circuit;
  }

  /**
   * Returns the failure rate of the calls the breaker judges, in percent; empty until it has
   * seen its minimum number of calls, and for a model without a breaker.
   */
  public Optional<Float> failureRate() {
    return failureRate < 0 ? Optional.empty() : Optional.of(failureRate);
  }

  /** Returns when an open circuit lets its next probe through; empty unless it is open. */
  public Optional<Instant> probeAt() {
    return Optional.ofNullable(probeAt);
  }

  /** Returns the most calls at once ({@code max_concurrency}), if the model has a limit. */
  public OptionalInt maxConcurrency() {
    return maxConcurrency <= 0 ? OptionalInt.empty() : OptionalInt.of(maxConcurrency);
  }

  /** Returns how many calls hold a slot of the limit now; 0 without a limit. */
  public int active() {
    return active;
  }

  /** Returns how many requests wait for a slot now. */
  public int queued() {
    return queued;
  }

  /** Returns how many attempts were retries on this model after a failure. */
  public long retries() {
    return retries;
  }

  /** Returns how many attempts skipped this model because its circuit was open. */
  public long circuitOpen() {
    return circuitOpen;
  }

  /** Returns how many attempts were turned away because the queue was full or its wait ran out. */
  public long overloaded() {
    return overloaded;
  }

  /**
   * Returns the circuit state of each server a model is spread over ({@code replicas:}), by
   * server, in order; empty for a model of one server.
   */
  public Map<String, CircuitState> replicas() {
    return replicas;
  }

  @Override
  public String toString() {
    return "GuardStats{circuit=" + circuit
        + (failureRate < 0 ? "" : ", failureRate=" + failureRate + "%")
        + (probeAt == null ? "" : ", probeAt=" + probeAt)
        + (maxConcurrency <= 0 ? "" : ", active=" + active + "/" + maxConcurrency + ", queued=" + queued)
        + ", retries=" + retries + ", circuitOpen=" + circuitOpen + ", overloaded=" + overloaded
        + (replicas.isEmpty() ? "" : ", replicas=" + replicas) + '}';
  }

  /** Builds {@link GuardStats}. Not thread-safe. */
  public static final class Builder {
    private CircuitState circuit = CircuitState.DISABLED;
    private float failureRate = -1;
    private @Nullable Instant probeAt;
    private int maxConcurrency;
    private int active;
    private int queued;
    private long retries;
    private long circuitOpen;
    private long overloaded;
    private Map<String, CircuitState> replicas = Map.of();

    private Builder() {}

    /** Sets the breaker's state, its failure rate in percent (negative: not judged yet) and the probe time of an open circuit. */
    public Builder circuit(CircuitState state, float failureRate, @Nullable Instant probeAt) {
      this.circuit = Objects.requireNonNull(state, "state");
      this.failureRate = failureRate < 0 ? -1 : failureRate;
      this.probeAt = probeAt;
      return this;
    }

    /** Sets the concurrency limit (0: none), the slots held and the requests queued. */
    public Builder concurrency(int maxConcurrency, int active, int queued) {
      if (maxConcurrency < 0 || active < 0 || queued < 0) {
        throw new IllegalArgumentException(
            "counts must not be negative, got " + maxConcurrency + ", " + active + ", " + queued);
      }
      this.maxConcurrency = maxConcurrency;
      this.active = active;
      this.queued = queued;
      return this;
    }

    /** Sets the counts of retries, attempts skipped as open and attempts turned away as overloaded. */
    public Builder counts(long retries, long circuitOpen, long overloaded) {
      this.retries = retries;
      this.circuitOpen = circuitOpen;
      this.overloaded = overloaded;
      return this;
    }

    /** Sets the circuit state of each server the model is spread over; not null. */
    public Builder replicas(Map<String, CircuitState> replicas) {
      this.replicas = Objects.requireNonNull(replicas, "replicas");
      return this;
    }

    /** Returns the stats. */
    public GuardStats build() {
      return new GuardStats(this);
    }
  }
}
