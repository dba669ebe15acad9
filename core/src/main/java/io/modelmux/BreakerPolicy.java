package io.modelmux;

import java.time.Duration;
import java.util.Objects;

/**
 * When a model's circuit breaker opens and for how long: {@code models.yaml}'s {@code
 * circuit_breaker: {failure_rate: 50%, window: 20, minimum_calls: 5, open_for: 15s}}, or {@code
 * circuit_breaker: off}. The breaker counts the outcomes of the last {@code window} calls; once
 * at least {@code minimumCalls} were made and {@code failureRate} percent or more of them failed
 * with a failure that says the backend is unwell (5xx, timeouts, lost connections, rate limits,
 * overload), it opens: requests skip the model (to a route's fallback) for {@code openFor}, then
 * one probe is let through, whose outcome closes or reopens it. Failures that are the request's
 * own (invalid, too long, filtered, refused credentials) do not count. Immutable; built with
 * {@link #builder()}.
 */
public final class BreakerPolicy {
  private static final BreakerPolicy DEFAULTS = builder().build();
  private static final BreakerPolicy DISABLED = new BreakerPolicy(builder(), false);

  private final boolean enabled;
  private final double failureRate;
  private final int window;
  private final int minimumCalls;
  private final Duration openFor;

  private BreakerPolicy(Builder b, boolean enabled) {
    this.enabled = enabled;
    this.failureRate = b.failureRate;
    this.window = b.window;
    this.minimumCalls = b.minimumCalls;
    this.openFor = b.openFor;
  }

  /**
   * Returns the defaults: 50 % of the last 20 calls, judged from 5 calls on, open for 15 s.
   * Model calls are few and slow, so the window is short and the minimum small (Resilience4j's
   * service defaults — 100 calls, 60 s open — would let a dead backend fail a hundred requests
   * and then shut it out for a minute after it came back).
   */
  public static BreakerPolicy defaults() {
    return DEFAULTS;
  }

  /** Returns the policy of a model without a breaker: every request is let through. */
  public static BreakerPolicy disabled() {
    return DISABLED;
  }

  /** Returns a builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding this policy's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.failureRate = failureRate;
    b.window = window;
    b.minimumCalls = minimumCalls;
    b.openFor = openFor;
    return b;
  }

  /** Returns whether the model has a breaker. */
  public boolean enabled() {
    return enabled;
  }

  /** Returns the failure rate, in percent, at which the breaker opens. */
  public double failureRate() {
    return failureRate;
  }

  /** Returns how many recent calls are judged. */
  public int window() {
    return window;
  }

  /** Returns how many calls must have been made before the breaker judges. */
  public int minimumCalls() {
    return minimumCalls;
  }

  /** Returns how long an open breaker keeps requests away before it lets a probe through. */
  public Duration openFor() {
    return openFor;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof BreakerPolicy)) {
      return false;
    }
    BreakerPolicy p = (BreakerPolicy) o;
    return p.enabled == enabled && p.failureRate == failureRate && p.window == window
        && p.minimumCalls == minimumCalls && p.openFor.equals(openFor);
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, failureRate, window, minimumCalls, openFor);
  }

  @Override
  public String toString() {
    return enabled
        ? "BreakerPolicy{failureRate=" + failureRate + "%, window=" + window + ", minimumCalls=" + minimumCalls
            + ", openFor=" + openFor + '}'
        : "BreakerPolicy{disabled}";
  }

  /** Builds an enabled {@link BreakerPolicy}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private double failureRate = 50;
    private int window = 20;
    private int minimumCalls = 5;
    private Duration openFor = Duration.ofSeconds(15);

    private Builder() {}

    /** Sets the failure rate in percent at which the breaker opens; above 0, at most 100. */
    public Builder failureRate(double percent) {
      if (!(percent > 0 && percent <= 100)) {
        throw new IllegalArgumentException("failureRate must be above 0 and at most 100 (percent), got " + percent);
      }
      this.failureRate = percent;
      return this;
    }

    /** Sets how many recent calls are judged; at least 1. */
    public Builder window(int calls) {
      if (calls < 1) {
        throw new IllegalArgumentException("window must be at least 1 call, got " + calls);
      }
      this.window = calls;
      return this;
    }

    /** Sets how many calls must be made before the breaker judges; at least 1. */
    public Builder minimumCalls(int calls) {
      if (calls < 1) {
        throw new IllegalArgumentException("minimumCalls must be at least 1, got " + calls);
      }
      this.minimumCalls = calls;
      return this;
    }

    /** Sets how long the breaker stays open before a probe; positive. */
    public Builder openFor(Duration openFor) {
      Objects.requireNonNull(openFor, "openFor");
      if (openFor.isNegative() || openFor.isZero()) {
        throw new IllegalArgumentException("openFor must be positive, got " + openFor);
      }
      this.openFor = openFor;
      return this;
    }

    /**
     * Returns the policy.
     *
     * @throws IllegalArgumentException if {@code minimumCalls} is more than {@code window}
     */
    public BreakerPolicy build() {
      if (minimumCalls > window) {
        throw new IllegalArgumentException(
            "minimumCalls (" + minimumCalls + ") must not be more than window (" + window + ")");
      }
      return new BreakerPolicy(this, true);
    }
  }
}
