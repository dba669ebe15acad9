package io.modelmux.internal.guard;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.modelmux.BreakerPolicy;
import io.modelmux.CircuitOpenException;
import io.modelmux.GuardStats;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.RetryPolicy;
import io.modelmux.spi.ModelSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model's guard, composed in one place: its circuit breaker (Resilience4j, count-based,
 * our defaults for model backends), its retry (Resilience4j, whose wait is read from the failure
 * at hand) and its concurrency limit. The request path asks it, in this order: may a call go
 * ({@link #tryEnter}), take a slot ({@link #acquireSlot}), then tells it the outcome. One per
 * registration: a model registered again under an old name starts with a closed circuit.
 * Thread-safe.
 */
public final class ModelGuard {
  private static final Logger log = LoggerFactory.getLogger(ModelGuard.class);
  /** Slow calls never open the circuit: a long generation is not a failure. */
  private static final Duration NEVER_SLOW = Duration.ofDays(365);

  private final ModelRef ref;
  private final Clock clock;
  private final @Nullable CircuitBreaker breaker;
  private final Duration openFor;
  private final Retry retry;
  private final @Nullable ConcurrencyLimit limit;
  private volatile @Nullable Instant probeAt;
  private volatile CircuitBreaker.State seen = CircuitBreaker.State.CLOSED; // the state last acted on
  private final LongAdder retries = new LongAdder();
  private final LongAdder circuitOpen = new LongAdder();
  private final LongAdder overloaded = new LongAdder();

  /** Builds the guard {@code spec} asks for, on {@code clock}. */
  public ModelGuard(ModelSpec spec, Clock clock) {
    this.ref = spec.ref();
    this.clock = clock;
    BreakerPolicy b = spec.circuitBreaker();
    this.openFor = b.openFor();
    // no event consumer on the breaker: with one, Resilience4j makes an event object (and a
    // ZonedDateTime) for every call; the state is read after each outcome instead
    this.breaker = b.enabled() ? breaker(ref, b, clock) : null;
    this.retry = retry(ref, spec.retry());
    this.limit = spec.maxConcurrency().isPresent()
        ? new ConcurrencyLimit(ref, spec.maxConcurrency().getAsInt(), spec.maxQueue(), spec.queueTimeout())
        : null;
  }

  private static CircuitBreaker breaker(ModelRef ref, BreakerPolicy p, Clock clock) {
    CircuitBreakerConfig config = CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(p.window())
        .minimumNumberOfCalls(p.minimumCalls())
        .failureRateThreshold((float) p.failureRate())
        .waitDurationInOpenState(p.openFor())
        .permittedNumberOfCallsInHalfOpenState(1) // one probe: a model call is expensive
        .slowCallDurationThreshold(NEVER_SLOW)
        .slowCallRateThreshold(100)
        .recordException(ErrorClass::unwell)
        .writableStackTraceEnabled(false)
        .clock(clock)
        .build();
    return CircuitBreaker.of(ref.toString(), config);
  }

  private static Retry retry(ModelRef ref, RetryPolicy p) {
    IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(p.backoff(), 2.0, 0.5, p.maxBackoff());
    long longest = p.maxBackoff().toMillis();
    IntervalBiFunction<Object> wait = (attempt, outcome) -> {
      Throwable failure = outcome.isLeft() ? outcome.getLeft() : null;
      Duration asked = failure instanceof ModelMuxException ? ((ModelMuxException) failure).retryAfter().orElse(null) : null;
      if (asked == null) {
        return backoff.apply(attempt);
      }
      // the wait the backend asked for in this failure (not an earlier one); longer than the
      // policy allows, and the request goes to its next candidate instead
      return asked.toMillis() > longest ? -1L : Math.max(0, asked.toMillis());
    };
    RetryConfig config = RetryConfig.custom()
        .maxAttempts(p.maxAttempts())
        .retryOnException(ErrorClass::retryable)
        .intervalBiFunction(wait)
        .writableStackTraceEnabled(false)
        .build();
    return Retry.of(ref.toString(), config);
  }

  /**
   * Acts on a change of the breaker's state since it was last seen: the probe time and a log
   * line. Every change is seen: a circuit goes from open to half open only in {@link #tryEnter}
   * of the thread whose probe it lets through, which looks before making its call.
   */
  private void observe() {
    CircuitBreaker.State now = breaker.getState();
    if (now != seen) {
      synchronized (this) {
        if (now != seen) {
          seen = now;
          transitioned(now);
        }
      }
    }
  }

  private void transitioned(CircuitBreaker.State to) {
    if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.FORCED_OPEN) {
      Instant at = clock.instant().plus(openFor);
      probeAt = at;
      float rate = breaker == null ? -1 : breaker.getMetrics().getFailureRate();
      log.warn(
          "circuit of model {} opened ({} % of its recent calls failed); requests skip it until a probe at {}",
          ref, rate < 0 ? "?" : String.format(java.util.Locale.ROOT, "%.0f", rate), at);
    } else {
      probeAt = null;
      if (to == CircuitBreaker.State.CLOSED) {
        log.info("circuit of model {} closed: its probe succeeded", ref);
      }
    }
  }

  /**
   * Returns whether a call may go now: true unless the circuit is open (or half open with its
   * probe out). A true must be followed by {@link #succeeded}, {@link #failed} or {@link
   * #abandoned}.
   */
  public boolean tryEnter() {
    if (breaker == null) {
      return true;
    }
    boolean permitted = breaker.tryAcquirePermission();
    if (seen != CircuitBreaker.State.CLOSED) {
      observe(); // an open circuit may have let its probe through
    }
    if (!permitted) {
      circuitOpen.increment();
    }
    return permitted;
  }

  /** Records a call that succeeded after {@code nanos}. */
  public void succeeded(long nanos) {
    if (breaker != null) {
      breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
      if (seen != CircuitBreaker.State.CLOSED) {
        observe();
      }
    }
  }

  /** Records a call that failed with {@code e} after {@code nanos}; the breaker counts it if it says the backend is unwell. */
  public void failed(long nanos, Throwable e) {
    if (breaker != null) {
      breaker.onError(nanos, TimeUnit.NANOSECONDS, e);
      observe();
    }
  }

  /** Gives back a permission taken by {@link #tryEnter} for a call that was not made. */
  public void abandoned() {
    if (breaker != null) {
      breaker.releasePermission();
    }
  }

  /** Returns the error of a request that found the circuit open. */
  public CircuitOpenException circuitOpen() {
    Instant at = probeAt;
    Duration wait = at == null ? null : Duration.between(clock.instant(), at);
    return new CircuitOpenException(
        "model '" + ref + "' is failing: its circuit is open"
            + (at == null ? " and its probe is out" : " until a probe at " + at)
            + "; retry later or add a fallback",
        ref.id(), wait == null || wait.isNegative() ? Duration.ZERO : wait);
  }

  /** Returns when the open circuit lets a probe through, or null when it is not open. */
  public @Nullable Instant probeAt() {
    return probeAt;
  }

  /** Returns a retry context for one request on this model: made at its first failure. */
  public Retry.AsyncContext<Object> retryContext() {
    return retry.asyncContext();
  }

  /** Counts a retry about to be made. */
  public void retrying() {
    retries.increment();
  }

  /**
   * Takes a slot of the concurrency limit, if the model has one; give it back with {@link
   * #releaseSlot}.
   *
   * @throws io.modelmux.OverloadedException if the queue is full or its wait ran out
   * @throws io.modelmux.DeadlineExceededException if the deadline passed while queued
   */
  public void acquireSlot(@Nullable Instant deadline) {
    if (limit != null) {
      try {
        limit.acquire(deadline, clock);
      } catch (io.modelmux.OverloadedException e) {
        overloaded.increment();
        throw e;
      }
    }
  }

  /** Gives back a slot taken by {@link #acquireSlot}. */
  public void releaseSlot() {
    if (limit != null) {
      limit.release();
    }
  }

  /** Wakes requests queued for a slot; they fail as closed. */
  public void close() {
    if (limit != null) {
      limit.close();
    }
  }

  /** Returns the guard's state now. */
  public GuardStats stats() {
    GuardStats.Builder b = GuardStats.builder();
    if (breaker != null) {
      b.circuit(state(breaker.getState()), breaker.getMetrics().getFailureRate(), probeAt);
    }
    if (limit != null) {
      b.concurrency(limit.max(), limit.active(), limit.queued());
    }
    return b.counts(retries.sum(), circuitOpen.sum(), overloaded.sum()).build();
  }

  private static GuardStats.CircuitState state(CircuitBreaker.State s) {
    switch (s) {
      case OPEN:
      case FORCED_OPEN:
        return GuardStats.CircuitState.OPEN;
      case HALF_OPEN:
        return GuardStats.CircuitState.HALF_OPEN;
      case DISABLED:
      case METRICS_ONLY:
        return GuardStats.CircuitState.DISABLED;
      default:
        return GuardStats.CircuitState.CLOSED;
    }
  }
}
