package io.modelmux.internal.guard;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.modelmux.BreakerPolicy;
import io.modelmux.GuardStats;
import io.modelmux.spi.Breaker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Breaker} on a Resilience4j {@link CircuitBreaker}: count-based, the policy's window
 * and minimum, one probe when half open, slow calls never counted (a long generation is not a
 * failure), the failures {@link ErrorClass#unwell} names recorded. No event consumer is
 * registered — with one, Resilience4j makes an event object for every call — so the state is
 * read after each outcome instead, to learn when the circuit opened (its probe time) and to log
 * the change once. Thread-safe.
 */
public final class ResilienceBreaker implements Breaker {
  private static final Logger log = LoggerFactory.getLogger(ResilienceBreaker.class);
  private static final Duration NEVER_SLOW = Duration.ofDays(365);

  /** The breaker of a disabled policy: every call passes, nothing is counted. */
  private static final Breaker OPEN_DOOR = new Breaker() {
    @Override
    public boolean tryEnter() {
      return true;
    }

    @Override
    public boolean mayEnter() {
      return true;
    }

    @Override
    public void succeeded(long nanos) {}

    @Override
    public void failed(long nanos, Throwable failure) {}

    @Override
    public void abandoned() {}

    @Override
    public GuardStats.CircuitState state() {
      return GuardStats.CircuitState.DISABLED;
    }

    @Override
    public float failureRate() {
      return -1;
    }

    @Override
    public Optional<Instant> probeAt() {
      return Optional.empty();
    }
  };

  private final String name;
  private final CircuitBreaker breaker;
  private final Clock clock;
  private final Duration openFor;
  private volatile @Nullable Instant probeAt;
  private volatile CircuitBreaker.State seen = CircuitBreaker.State.CLOSED; // the state last acted on

  private ResilienceBreaker(String name, BreakerPolicy p, Clock clock) {
    this.name = name;
    this.clock = clock;
    this.openFor = p.openFor();
    this.breaker = CircuitBreaker.of(name, CircuitBreakerConfig.custom()
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
        .build());
  }

  /** Returns the breaker of {@code policy}; see {@link Breaker#of}. */
  public static Breaker of(String name, BreakerPolicy policy, Clock clock) {
    return policy.enabled() ? new ResilienceBreaker(name, policy, clock) : OPEN_DOOR;
  }

  @Override
  public boolean tryEnter() {
    boolean permitted = breaker.tryAcquirePermission();
    if (seen != CircuitBreaker.State.CLOSED) {
      observe(); // an open circuit may have let its probe through
    }
    return permitted;
  }

  @Override
  public boolean mayEnter() {
    CircuitBreaker.State s = breaker.getState();
    if (s != CircuitBreaker.State.OPEN && s != CircuitBreaker.State.FORCED_OPEN) {
      return true;
    }
    Instant at = probeAt;
    return at == null || !clock.instant().isBefore(at);
  }

  @Override
  public void succeeded(long nanos) {
    breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
    if (seen != CircuitBreaker.State.CLOSED) {
      observe();
    }
  }

  @Override
  public void failed(long nanos, Throwable failure) {
    breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
    observe();
  }

  @Override
  public void abandoned() {
    breaker.releasePermission();
  }

  @Override
  public GuardStats.CircuitState state() {
    switch (breaker.getState()) {
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

  @Override
  public float failureRate() {
    return breaker.getMetrics().getFailureRate();
  }

  @Override
  public Optional<Instant> probeAt() {
    return Optional.ofNullable(probeAt);
  }

  /**
   * Acts on a change of state since it was last seen: the probe time and a log line. Every
   * change is seen: a circuit goes from open to half open only in {@link #tryEnter} of the thread
   * whose probe it lets through, which looks before making its call.
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
      float rate = breaker.getMetrics().getFailureRate();
      log.warn(
          "circuit of {} opened ({} % of its recent calls failed); requests skip it until a probe at {}",
          name, rate < 0 ? "?" : String.format(Locale.ROOT, "%.0f", rate), at);
    } else {
      probeAt = null;
      if (to == CircuitBreaker.State.CLOSED) {
        log.info("circuit of {} closed: its probe succeeded", name);
      }
    }
  }
}
