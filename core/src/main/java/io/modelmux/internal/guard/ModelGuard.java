package io.modelmux.internal.guard;

import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.modelmux.BreakerPolicy;
import io.modelmux.CircuitOpenException;
import io.modelmux.GuardStats;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.OverloadedException;
import io.modelmux.RateLimitedException;
import io.modelmux.RetryPolicy;
import io.modelmux.spi.Breaker;
import io.modelmux.spi.ModelSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * One model's guard, composed in one place: its circuit breaker (a {@link Breaker}: Resilience4j,
 * count-based, our defaults for model backends), its retry (Resilience4j, whose wait is read from the failure
 * at hand) and its concurrency limit. The request path asks it, in this order: may a call go
 * ({@link #tryEnter}), take a slot ({@link #acquireSlot}), then tells it the outcome. One per
 * registration: a model registered again under an old name starts with a closed circuit.
 * Thread-safe.
 */
public final class ModelGuard {
  private final ModelRef ref;
  private final Clock clock;
  private final Breaker breaker;
  private final Retry retry;
  private final @Nullable ConcurrencyLimit limit;
  private final LongAdder retries = new LongAdder();
  private final LongAdder circuitOpen = new LongAdder();
  private final LongAdder overloaded = new LongAdder();
  private volatile @Nullable Instant rateLimitedUntil; // the wait the backend last asked for

  /**
   * Builds the guard {@code spec} asks for, on {@code clock}.
   *
   * @param ownBreaker false when the adapter keeps a breaker per server (replicas): those are the
   *     model's breakers then, and one more over all of them would open when one server of two
   *     fails
   */
  public ModelGuard(ModelSpec spec, Clock clock, boolean ownBreaker) {
    this.ref = spec.ref();
    this.clock = clock;
    this.breaker = Breaker.of("model " + ref, ownBreaker ? spec.circuitBreaker() : BreakerPolicy.disabled(), clock);
    this.retry = retry(ref, spec.retry());
    this.limit = spec.maxConcurrency().isPresent()
        ? new ConcurrencyLimit(ref, spec.maxConcurrency().getAsInt(), spec.maxQueue(), spec.queueTimeout())
        : null;
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
   * Returns whether a call may go now: true unless the circuit is open (or half open with its
   * probe out). A true must be followed by {@link #succeeded}, {@link #failed} or {@link
   * #abandoned}.
   */
  public boolean tryEnter() {
    if (breaker.tryEnter()) {
      return true;
    }
    circuitOpen.increment();
    return false;
  }

  /** Records a call that succeeded after {@code nanos}. */
  public void succeeded(long nanos) {
    breaker.succeeded(nanos);
    if (rateLimitedUntil != null) {
      rateLimitedUntil = null;
    }
  }

  /** Records a call that failed with {@code e} after {@code nanos}; the breaker counts it if it says the backend is unwell. */
  public void failed(long nanos, Throwable e) {
    breaker.failed(nanos, e);
    if (e instanceof RateLimitedException) {
      Duration wait = ((RateLimitedException) e).retryAfter().orElse(Duration.ofSeconds(1));
      rateLimitedUntil = clock.instant().plus(wait);
    }
  }

  /** Returns whether the backend asked to wait (a rate limit) and the wait has not passed. */
  public boolean isRateLimited() {
    Instant until = rateLimitedUntil;
    return until != null && clock.instant().isBefore(until);
  }

  /**
   * Returns how long a request would queue for a slot now, judged from the requests ahead and
   * the model's median latency ({@code medianNanos}, negative when unknown); zero when a slot is
   * free or the model has no limit, negative when it cannot be judged.
   */
  public long expectedQueueNanos(long medianNanos) {
    if (limit == null || limit.active() < limit.max()) {
      return 0;
    }
    if (medianNanos < 0) {
      return -1;
    }
    long rounds = (limit.queued() + limit.max()) / limit.max(); // the requests ahead, and this one, a slot at a time
    return rounds * medianNanos;
  }

  /** Returns whether the circuit would let a call through now (without taking a permission). */
  public boolean mayEnter() {
    return breaker.mayEnter();
  }

  /** Gives back a permission taken by {@link #tryEnter} for a call that was not made. */
  public void abandoned() {
    breaker.abandoned();
  }

  /** Returns the error of a request that found the circuit open. */
  public CircuitOpenException circuitOpen() {
    Instant at = probeAt();
    Duration wait = at == null ? null : Duration.between(clock.instant(), at);
    return new CircuitOpenException(
        "model '" + ref + "' is failing: its circuit is open"
            + (at == null ? " and its probe is out" : " until a probe at " + at)
            + "; retry later or add a fallback",
        ref.id(), wait == null || wait.isNegative() ? Duration.ZERO : wait);
  }

  /** Returns the model's circuit breaker (one that lets everything through when disabled). */
  public Breaker breaker() {
    return breaker;
  }

  /** Returns when the open circuit lets a probe through, or null when it is not open. */
  public @Nullable Instant probeAt() {
    return breaker.probeAt().orElse(null);
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
   * @throws OverloadedException if the queue is full or its wait ran out
   * @throws io.modelmux.DeadlineExceededException if the deadline passed while queued
   */
  public void acquireSlot(@Nullable Instant deadline) {
    if (limit != null) {
      try {
        limit.acquire(deadline, clock);
      } catch (OverloadedException e) {
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
    return stats(java.util.Map.of());
  }

  /**
   * Returns the guard's state now, with the circuit of each of the model's servers: the model's
   * circuit is then theirs together — open when all are, half open when none is closed and one
   * lets a probe through, else closed.
   */
  public GuardStats stats(java.util.Map<String, Breaker> replicas) {
    GuardStats.Builder b = GuardStats.builder();
    if (!replicas.isEmpty()) {
      java.util.Map<String, GuardStats.CircuitState> states = new java.util.LinkedHashMap<>();
      boolean anyClosed = false;
      boolean anyHalfOpen = false;
      Instant earliest = null;
      for (java.util.Map.Entry<String, Breaker> e : replicas.entrySet()) {
        GuardStats.CircuitState state = e.getValue().state();
        states.put(e.getKey(), state);
        anyClosed |= state == GuardStats.CircuitState.CLOSED || state == GuardStats.CircuitState.DISABLED;
        anyHalfOpen |= state == GuardStats.CircuitState.HALF_OPEN;
        Instant at = e.getValue().probeAt().orElse(null);
        if (at != null && (earliest == null || at.isBefore(earliest))) {
          earliest = at;
        }
      }
      GuardStats.CircuitState model = anyClosed ? GuardStats.CircuitState.CLOSED
          : anyHalfOpen ? GuardStats.CircuitState.HALF_OPEN : GuardStats.CircuitState.OPEN;
      b.replicas(states).circuit(model, -1, model == GuardStats.CircuitState.OPEN ? earliest : null);
    } else if (breaker.state() != GuardStats.CircuitState.DISABLED) {
      b.circuit(breaker.state(), breaker.failureRate(), probeAt());
    }
    if (limit != null) {
      b.concurrency(limit.max(), limit.active(), limit.queued());
    }
    return b.counts(retries.sum(), circuitOpen.sum(), overloaded.sum()).build();
  }
}
