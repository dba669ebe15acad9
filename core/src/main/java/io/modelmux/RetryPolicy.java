package io.modelmux;

import java.time.Duration;
import java.util.Objects;

/**
 * How often a request is tried on one model before it moves to the next candidate (a route's
 * fallback) or fails: {@code models.yaml}'s {@code retry: {max_attempts: 3, backoff: 250ms,
 * max_backoff: 4s}}, or {@code retry: off}. Only failures whose class may pass are retried (rate
 * limited, overloaded, timeouts, 5xx, lost connections); a wait the backend asks for
 * ({@code Retry-After}) is taken from the failure at hand, else the wait doubles from {@code
 * backoff} up to {@code maxBackoff} with jitter; a wait that would pass the request's deadline
 * is not taken. Immutable; built with {@link #builder()}.
 */
public final class RetryPolicy {
  private static final RetryPolicy DEFAULTS = builder().build();
  private static final RetryPolicy NONE = builder().maxAttempts(1).build();

  private final int maxAttempts;
  private final Duration backoff;
  private final Duration maxBackoff;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.backoff = b.backoff;
    this.maxBackoff = b.maxBackoff;
  }

  /**
   * Returns the defaults: 3 attempts, waits from 250 ms up to 4 s. Model backends fail in
   * bursts (a restart, a full batch, a rate window): two quick retries ride out most of them,
   * and more would only stack load on a backend that is down while the caller waits.
   */
  public static RetryPolicy defaults() {
    return DEFAULTS;
  }

  /** Returns the policy that never retries: one attempt per model. */
  public static RetryPolicy none() {
    return NONE;
  }

  /** Returns a builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding this policy's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.maxAttempts = maxAttempts;
    b.backoff = backoff;
    b.maxBackoff = maxBackoff;
    return b;
  }

  /** Returns the most attempts one request makes on one model, the first included; at least 1. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** Returns the wait after the first failure, when the backend named none. */
  public Duration backoff() {
    return backoff;
  }

  /** Returns the longest wait between attempts when the backend named none. */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RetryPolicy
        && ((RetryPolicy) o).maxAttempts == maxAttempts
        && ((RetryPolicy) o).backoff.equals(backoff)
        && ((RetryPolicy) o).maxBackoff.equals(maxBackoff);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxAttempts, backoff, maxBackoff);
  }

  @Override
  public String toString() {
    return maxAttempts == 1
        ? "RetryPolicy{none}"
        : "RetryPolicy{maxAttempts=" + maxAttempts + ", backoff=" + backoff + ", maxBackoff=" + maxBackoff + '}';
  }

  /** Builds a {@link RetryPolicy}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = 3;
    private Duration backoff = Duration.ofMillis(250);
    private Duration maxBackoff = Duration.ofSeconds(4);

    private Builder() {}

    /** Sets the most attempts per model, the first included; at least 1 (1: never retry). */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Sets the first wait when the backend names none; positive. */
    public Builder backoff(Duration backoff) {
      this.backoff = positive(backoff, "backoff");
      return this;
    }

    /** Sets the longest wait when the backend names none; positive. */
    public Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = positive(maxBackoff, "maxBackoff");
      return this;
    }

    /**
     * Returns the policy.
     *
     * @throws IllegalArgumentException if {@code backoff} is longer than {@code maxBackoff}
     */
    public RetryPolicy build() {
      if (backoff.compareTo(maxBackoff) > 0) {
        throw new IllegalArgumentException(
            "backoff (" + backoff + ") must not be longer than maxBackoff (" + maxBackoff + ")");
      }
      return new RetryPolicy(this);
    }

    private static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
