package io.modelmux;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The backend refused to answer, or stopped answering, because of its content policy (a safety
 * block, a recitation check). The message carries the backend's reason.
 */
public class ContentFilteredException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param cause the underlying cause, or null
   */
  public ContentFilteredException(String message, @Nullable String modelId, @Nullable Throwable cause) {
    super(message, modelId, false, -1, null, cause);
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
  public ContentFilteredException(
      String message,
      @Nullable String modelId,
      int statusCode,
      @Nullable Duration retryAfter,
      @Nullable Throwable cause) {
    super(message, modelId, false, statusCode, retryAfter, cause);
  }
}
