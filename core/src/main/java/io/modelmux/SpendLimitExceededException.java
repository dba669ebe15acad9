package io.modelmux;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A model's or a route's spend limit would be passed by the request: what it has spent this
 * period (settled, and reserved by requests in flight) and the request's worst case exceed the
 * limit. The request went to no backend. A route's fallback takes such a request; without one the
 * caller gets this, with the limit, the spend and when the period resets ({@link
 * #retryAfter()} is the wait until then). Not retryable before that.
 */
public class SpendLimitExceededException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  private final String scope;
  private final double limit;
  private final double spent;
  private final double needed;
  private final Instant resetsAt;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param scope what the limit is on, such as {@code model 'gpt@1'} or {@code route 'chat'}; not null
   * @param limit the limit per period
   * @param spent spent and reserved this period
   * @param needed the request's worst case
   * @param resetsAt when the period ends; not null
   * @param now the time now, for {@link #retryAfter()}; not null
   */
  public SpendLimitExceededException(
      String message, @Nullable String modelId, String scope, double limit, double spent, double needed, Instant resetsAt,
      Instant now) {
    super(message, modelId, false, -1, java.time.Duration.between(now, resetsAt).isNegative()
        ? java.time.Duration.ZERO : java.time.Duration.between(now, resetsAt), null);
    this.scope = Objects.requireNonNull(scope, "scope");
    this.limit = limit;
    this.spent = spent;
    this.needed = needed;
    this.resetsAt = Objects.requireNonNull(resetsAt, "resetsAt");
  }

  /** Returns what the limit is on: {@code model '...'} or {@code route '...'}. */
  public String scope() {
    return scope;
  }

  /** Returns the limit per period. */
  public double limit() {
    return limit;
  }

  /** Returns what was spent and reserved in this period when the request came. */
  public double spent() {
    return spent;
  }

  /** Returns the request's worst case, which did not fit. */
  public double needed() {
    return needed;
  }

  /** Returns when the period ends and the spend starts again from nothing. */
  public Instant resetsAt() {
    return resetsAt;
  }
}
