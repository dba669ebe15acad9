package io.modelmux;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * The root of every error ModelMux raises. It is unchecked; each subtype names one kind of
 * failure, and every message says what happened, to which model, and what the caller can do.
 *
 * <p>Context that callers act on is kept in fields rather than only in the message:
 * {@link #modelId()}, {@link #isRetryable()}, {@link #statusCode()} and {@link #retryAfter()}.
 * The cause, if any, is always kept. Messages never contain secrets such as API keys.
 */
public class ModelMuxException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final @Nullable String modelId;
  private final boolean retryable;
  private final int statusCode;
  private final @Nullable Duration retryAfter;

  /**
   * Creates an exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null if none
   * @param retryable whether the same request may succeed if sent again
   * @param statusCode the backend's status code, or -1 if none
   * @param retryAfter how long the backend asked the caller to wait, or null
   * @param cause the underlying cause, or null
   */
  protected ModelMuxException(
      String message,
      @Nullable String modelId,
      boolean retryable,
      int statusCode,
      @Nullable Duration retryAfter,
      @Nullable Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.modelId = modelId;
    this.retryable = retryable;
    this.statusCode = statusCode;
    this.retryAfter = retryAfter;
  }

  /**
   * Creates a non-retryable exception without further context.
   *
   * @param message what happened and what to do; not null
   * @param cause the underlying cause, or null
   */
  public ModelMuxException(String message, @Nullable Throwable cause) {
    this(message, null, false, -1, null, cause);
  }

  /** Returns the id of the model the failure concerns, if one was known. */
  public Optional<String> modelId() {
    return Optional.ofNullable(modelId);
  }

  /**
   * Returns whether sending the same request again may succeed (a timeout, a 5xx, a rate limit,
   * an open circuit). Invalid requests, unknown models and authentication errors are not.
   */
  public boolean isRetryable() {
    return retryable;
  }

  /** Returns the status code the backend answered with, if the failure came from one. */
  public OptionalInt statusCode() {
    return statusCode < 0 ? OptionalInt.empty() : OptionalInt.of(statusCode);
  }

  /** Returns how long the backend asked the caller to wait before retrying, if it said. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
