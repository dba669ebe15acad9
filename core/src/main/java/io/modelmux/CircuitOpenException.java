package io.modelmux;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The model's circuit breaker is open after repeated failures, so the request was not sent.
 * {@link #retryAfter()} says when the breaker will next let a trial request through.
 */
public class CircuitOpenException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model whose breaker is open, or null
   * @param retryAfter when the breaker half-opens, or null if unknown
   */
  public CircuitOpenException(
      String message, @Nullable String modelId, @Nullable Duration retryAfter) {
    super(message, modelId, true, -1, retryAfter, null);
  }
}
