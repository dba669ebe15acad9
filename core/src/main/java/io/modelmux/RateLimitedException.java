package io.modelmux;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A backend refused the request because of a rate limit or an exhausted quota (HTTP 429, or
 * Gemini's {@code RESOURCE_EXHAUSTED}). {@link #retryAfter()} holds the wait the backend asked
 * for, when it said; the request is retryable after that wait.
 */
public class RateLimitedException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param statusCode the backend's status code, or -1
   * @param retryAfter the wait the backend asked for, or null if it did not say
   * @param cause the underlying cause, or null
   */
  public RateLimitedException(
      String message,
      @Nullable String modelId,
      int statusCode,
      @Nullable Duration retryAfter,
      @Nullable Throwable cause) {
    super(message, modelId, true, statusCode, retryAfter, cause);
  }
}
