package io.modelmux.spi;

import io.modelmux.BreakerPolicy;
import io.modelmux.GuardStats;
import io.modelmux.internal.guard.ResilienceBreaker;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A circuit breaker with a model's {@link BreakerPolicy}: the one the manager keeps per model,
 * and the one an adapter keeps per server when it spreads a model over replicas, so that both
 * judge the same way (Resilience4j underneath). It counts only failures that say the backend is
 * unwell (those an adapter marks retryable: 5xx, timeouts, lost connections, rate limits), never
 * the request's own faults. Thread-safe.
 */
public interface Breaker {
  /**
   * Returns a breaker named {@code name} (for log lines) judging by {@code policy} on {@code
   * clock}; for a disabled policy, one that lets everything through.
   */
  static Breaker of(String name, BreakerPolicy policy, Clock clock) {
    return ResilienceBreaker.of(Objects.requireNonNull(name, "name"), Objects.requireNonNull(policy, "policy"),
        Objects.requireNonNull(clock, "clock"));
  }

  /**
   * Takes a permission for one call: true unless the circuit is open (or half open with its probe
   * out). A true must be followed by {@link #succeeded}, {@link #failed} or {@link #abandoned}.
   */
  boolean tryEnter();

  /** Returns whether {@link #tryEnter} may succeed now, without taking a permission. */
  boolean mayEnter();

  /** Records a call that succeeded after {@code nanos}. */
  void succeeded(long nanos);

  /** Records a call that failed with {@code failure} after {@code nanos}; counted if it says the backend is unwell. */
  void failed(long nanos, Throwable failure);

  /** Gives back a permission for a call that was not made. */
  void abandoned();

  /** Returns the circuit's state. */
  GuardStats.CircuitState state();

  /** Returns the failure rate judged, in percent; negative until the minimum number of calls. */
  float failureRate();

  /** Returns when an open circuit lets its next probe through; empty unless open. */
  Optional<Instant> probeAt();
}
