package io.modelmux;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A model could not be loaded: a missing or corrupt file, a native library that is absent, a
 * device that is not there. The message names the model and the file or artifact concerned.
 */
public class ModelLoadException extends ModelMuxException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param cause the underlying cause, or null
   */
  public ModelLoadException(String message, @Nullable String modelId, @Nullable Throwable cause) {
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
  public ModelLoadException(
      String message,
      @Nullable String modelId,
      int statusCode,
      @Nullable Duration retryAfter,
      @Nullable Throwable cause) {
    super(message, modelId, false, statusCode, retryAfter, cause);
  }
}
