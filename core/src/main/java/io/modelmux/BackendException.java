package io.modelmux;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A backend failed to serve the request: a 5xx, a refused or dropped connection, a timeout, a
 * response that is not what the protocol promises, a stream cut before its end. Whether a retry
 * may help is in {@link #isRetryable()}; the status code, when there was one, in
 * {@link #statusCode()}. Text a stream had delivered before it failed is kept in
 * {@link #partialText()}, so that nothing the caller was sent is lost.
 */
public class BackendException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  private final String partialText;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param retryable whether the same request may succeed if sent again
   * @param statusCode the backend's status code, or -1 if none
   * @param retryAfter how long the backend asked to wait, or null
   * @param partialText text delivered before the failure, or null for none
   * @param cause the underlying cause, or null
   */
  public BackendException(
      String message,
      @Nullable String modelId,
      boolean retryable,
      int statusCode,
      @Nullable Duration retryAfter,
      @Nullable String partialText,
      @Nullable Throwable cause) {
    super(message, modelId, retryable, statusCode, retryAfter, cause);
    this.partialText = partialText == null ? "" : partialText;
  }

  /**
   * Creates the exception with no status code, retry delay or partial text.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param retryable whether the same request may succeed if sent again
   * @param cause the underlying cause, or null
   */
  public BackendException(
      String message, @Nullable String modelId, boolean retryable, @Nullable Throwable cause) {
    this(message, modelId, retryable, -1, null, null, cause);
  }

  /** Returns the text a stream delivered before it failed; empty when none. */
  public String partialText() {
    return partialText;
  }
}
