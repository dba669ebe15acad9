package io.modelmux;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One try of a request on one model, as the guard stage made it: which model, how it ended, the
 * type of its failure and how long it took. A response lists its attempts ({@link
 * GenerateResponse#attempts()}), the last being the one that served it; a request that failed
 * after several attempts throws the last failure with the earlier ones {@linkplain
 * Throwable#getSuppressed() suppressed}. Immutable.
 */
public final class Attempt {
  /** How an attempt ended. */
  public enum Outcome {
    /** The model answered. */
    SUCCEEDED,
    /** The model was called and failed. */
    FAILED,
    /** The model's circuit breaker was open: it was not called. */
    CIRCUIT_OPEN,
    /** The model's concurrency limit and queue were full, or the queue wait ran out: it was not called. */
    OVERLOADED,
    /**
     * The model was passed over, before any call, for one it overflows to ({@code overflow_to}):
     * it was cold and loading it would have evicted a model in recent use, its queue was too long
     * for the deadline, or its backend had asked to wait (rate limited).
     */
    OVERFLOWED,
    /**
     * The model's (or the route's) spend limit would have been passed by the request's worst
     * case: it was not called ({@link SpendLimitExceededException}).
     */
    OVER_BUDGET
  }

  private final ModelRef model;
  private final Outcome outcome;
  private final @Nullable String errorType;
  private final @Nullable String reason;
  private final Duration time;

  /**
   * Creates an attempt without a reason.
   *
   * @param model the model tried; not null
   * @param outcome how it ended; not null
   * @param errorType the simple class name of the failure, or null if it succeeded
   * @param time how long the attempt took; not null, not negative
   */
  public Attempt(ModelRef model, Outcome outcome, @Nullable String errorType, Duration time) {
    this(model, outcome, errorType, null, time);
  }

  /**
   * Creates an attempt.
   *
   * @param model the model tried; not null
   * @param outcome how it ended; not null
   * @param errorType the simple class name of the failure, or null if it succeeded
   * @param reason the failure's message (a {@link ModelMuxException}'s, which holds no secret),
   *     or null
   * @param time how long the attempt took; not null, not negative
   */
  public Attempt(ModelRef model, Outcome outcome, @Nullable String errorType, @Nullable String reason, Duration time) {
    this.model = Objects.requireNonNull(model, "model");
    this.outcome = Objects.requireNonNull(outcome, "outcome");
    this.errorType = errorType;
    this.reason = reason;
    this.time = Objects.requireNonNull(time, "time");
    if (time.isNegative()) {
      throw new IllegalArgumentException("time must not be negative, got " + time);
    }
  }

  /** Returns the model tried. */
  public ModelRef model() {
    return model;
  }

  /** Returns how the attempt ended. */
  public Outcome outcome() {
    return outcome;
  }

  /** Returns the simple name of the failure's class, when it failed. */
  public Optional<String> errorType() {
    return Optional.ofNullable(errorType);
  }

  /**
   * Returns why the attempt failed, in the failure's own words (such as {@code could not connect
   * to http://127.0.0.1:8000/v1 for model 'llama-8b': connection refused}), if it failed.
   */
  public Optional<String> reason() {
    return Optional.ofNullable(reason);
  }

  /** Returns how long the attempt took. */
  public Duration time() {
    return time;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Attempt)) {
      return false;
    }
    Attempt a = (Attempt) o;
    return a.model.equals(model) && a.outcome == outcome && Objects.equals(a.errorType, errorType)
        && Objects.equals(a.reason, reason) && a.time.equals(time);
  }

  @Override
  public int hashCode() {
    return Objects.hash(model, outcome, errorType, reason, time);
  }

  @Override
  public String toString() {
    return model + " " + outcome + (errorType == null ? "" : " (" + errorType + (reason == null ? "" : ": " + reason) + ")")
        + " in " + time.toMillis() + " ms";
  }
}
