package io.modelmux;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The request could not be admitted: a queue was full or waiting for capacity took too long.
 * It may succeed later.
 */
public class OverloadedException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param cause the underlying cause, or null
   */
  public OverloadedException(String message, @Nullable String modelId, @Nullable Throwable cause) {
    super(message, modelId, true, -1, null, cause);
  }

  /**
   * Creates the exception with the backend's context.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param statusCode the backend's status code, or -1
   * @param retryAfter how long the backend asked to wait, or null
   * @param cause the underlying cause, or null
   */
  public OverloadedException(
      String message,
      @Nullable String modelId,
      int statusCode,
      @Nullable Duration retryAfter,
      @Nullable Throwable cause) {
    super(message, modelId, true, statusCode, retryAfter, cause);
  }
}
