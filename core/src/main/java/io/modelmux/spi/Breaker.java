package io.modelmux.spi;

import io.modelmux.BreakerPolicy;
import io.modelmux.CircuitOpenException;
import io.modelmux.GuardStats;
import io.modelmux.internal.guard.ResilienceBreaker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
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
   * Returns the error of a request none of {@code breakers} lets through: {@code what} (such as
   * "every replica of model 'm'"), then each breaker by its name with the time of its probe, and
   * a {@code retryAfter()} until the earliest.
   *
   * @param modelId the model the error is about
   * @param breakers the open breakers by name, in order; names hold no secret
   * @param clock the time now
   */
  static CircuitOpenException allOpen(String what, String modelId, Map<String, Breaker> breakers, Clock clock) {
    StringBuilder b = new StringBuilder(what).append(" has an open circuit: ");
    Instant earliest = null;
    String sep = "";
    for (Map.Entry<String, Breaker> e : breakers.entrySet()) {
      Instant at = e.getValue().probeAt().orElse(null);
      b.append(sep).append(e.getKey()).append(at == null ? " (its probe is out)" : " (probe at " + at + ")");
      sep = ", ";
      if (at != null && (earliest == null || at.isBefore(earliest))) {
        earliest = at;
      }
    }
    Duration wait = earliest == null ? Duration.ZERO : Duration.between(clock.instant(), earliest);
    return new CircuitOpenException(
        b.append("; retry after the earliest probe, or add a fallback").toString(), modelId,
        wait.isNegative() ? Duration.ZERO : wait);
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
