package io.modelmux.internal.guard;

import io.modelmux.CircuitOpenException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.ModelMuxException;
import io.modelmux.OverloadedException;
import io.modelmux.SpendLimitExceededException;

/**
 * What a failure means to the guard, decided by its class in one place. Adapters say whether a
 * failure may pass ({@link ModelMuxException#isRetryable()}: rate limited, overloaded, timeouts,
 * 5xx, lost connections); failures of the request itself (invalid, too long for the context,
 * filtered, refused credentials) never retry and never move to another model here.
 */
public final class ErrorClass {
  private ErrorClass() {}

  /**
   * Returns whether the same model may be asked again: the backend's failure may pass. A passed
   * deadline is final, and an open circuit is not a call that failed (nor is a full queue,
   * which the request path knows apart).
   */
  public static boolean retryable(Throwable e) {
    return e instanceof ModelMuxException
        && ((ModelMuxException) e).isRetryable()
        && !(e instanceof DeadlineExceededException)
        && !(e instanceof CircuitOpenException);
  }

  /**
   * Returns whether {@code e} says the backend is unwell, and so counts against its circuit
   * breaker: the retryable failures of a call.
   */
  public static boolean unwell(Throwable e) {
    return retryable(e);
  }

  /**
   * Returns whether the request moves to its next candidate (a route's fallback) after {@code
   * e}: a retryable failure, an open circuit, a model too busy to take it, or one over its spend
   * limit.
   */
  public static boolean failsOver(Throwable e) {
    return retryable(e) || e instanceof CircuitOpenException || e instanceof OverloadedException
        || e instanceof SpendLimitExceededException;
  }
}
