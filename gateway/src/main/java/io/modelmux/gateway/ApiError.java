package io.modelmux.gateway;

import io.modelmux.AuthenticationException;
import io.modelmux.BackendException;
import io.modelmux.BackendTimeoutException;
import io.modelmux.CircuitOpenException;
import io.modelmux.ContentFilteredException;
import io.modelmux.ContextLengthExceededException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.InsufficientMemoryException;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelLoadException;
import io.modelmux.ModelMuxException;
import io.modelmux.OverloadedException;
import io.modelmux.RateLimitedException;
import io.modelmux.SpendLimitExceededException;
import io.modelmux.UnknownModelException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One failure as the gateway answers it: an HTTP status and OpenAI's error object
 * ({@code {"error": {"message", "type", "param", "code"}}}), with the wait a client should take
 * before sending again. Every {@link ModelMuxException} is mapped to one here, in one place.
 */
record ApiError(
    int status, String type, @Nullable String code, @Nullable String param, String message,
    @Nullable Duration retryAfter) {

  static final String INVALID_REQUEST = "invalid_request_error";
  static final String AUTHENTICATION = "authentication_error";
  static final String NOT_FOUND = "not_found_error";
  static final String RATE_LIMIT = "rate_limit_error";
  static final String OVERLOADED = "overloaded_error";
  static final String TIMEOUT = "timeout_error";
  static final String SERVER = "server_error";
  static final String UPSTREAM = "upstream_error";

  static ApiError invalid(String message, @Nullable String param) {
    return new ApiError(400, INVALID_REQUEST, "invalid_request", param, message, null);
  }

  /**
   * Maps a failure of the manager to its answer. {@code requestedModel} tells a model this
   * gateway does not know (404) from a backend that does not know the model it was given
   * (a configuration fault behind the gateway: 502).
   */
  static ApiError of(ModelMuxException e, @Nullable String requestedModel) {
    String message = e.getMessage();
    Duration wait = e.retryAfter().orElse(null);
    if (e instanceof UnknownModelException unknown) {
      return unknown.requested().equals(requestedModel) || requestedModel == null
          ? new ApiError(404, NOT_FOUND, "model_not_found", "model", message, null)
          : new ApiError(502, UPSTREAM, "upstream_model_not_found", null, message, null);
    }
    if (e instanceof ContextLengthExceededException) {
      return new ApiError(400, INVALID_REQUEST, "context_length_exceeded", "messages", message, null);
    }
    if (e instanceof InvalidRequestException) {
      return new ApiError(400, INVALID_REQUEST, "invalid_request", null, message, null);
    }
    if (e instanceof ContentFilteredException) {
      return new ApiError(400, INVALID_REQUEST, "content_filter", null, message, null);
    }
    if (e instanceof SpendLimitExceededException) {
      return new ApiError(429, RATE_LIMIT, "spend_limit_exceeded", null, message, wait);
    }
    if (e instanceof RateLimitedException) {
      return new ApiError(429, RATE_LIMIT, "rate_limit_exceeded", null, message, wait);
    }
    if (e instanceof OverloadedException) {
      return new ApiError(503, OVERLOADED, "overloaded", null, message, wait);
    }
    if (e instanceof CircuitOpenException) {
      return new ApiError(503, OVERLOADED, "circuit_open", null, message, wait);
    }
    if (e instanceof InsufficientMemoryException) {
      return new ApiError(503, OVERLOADED, "insufficient_memory", null, message, wait);
    }
    if (e instanceof DeadlineExceededException) {
      return new ApiError(504, TIMEOUT, "deadline_exceeded", null, message, null);
    }
    if (e instanceof BackendTimeoutException) {
      return new ApiError(504, TIMEOUT, "upstream_timeout", null, message, null);
    }
    if (e instanceof AuthenticationException) {
      // The backend refused the gateway's own key: the caller's key is not at fault, so not 401.
      return new ApiError(502, UPSTREAM, "upstream_authentication", null, message, null);
    }
    if (e instanceof BackendException) {
      return new ApiError(502, UPSTREAM, "upstream_error", null, message, wait);
    }
    if (e instanceof ModelLoadException) {
      return new ApiError(500, SERVER, "model_load_failed", null, message, null);
    }
    return new ApiError(500, SERVER, "internal_error", null, message, null);
  }

  /** The {@code Retry-After} header's value: whole seconds, rounded up, at least 1. */
  @Nullable String retryAfterSeconds() {
    if (retryAfter == null) {
      return null;
    }
    long millis = Math.max(0, retryAfter.toMillis());
    return Long.toString(Math.max(1, (millis + 999) / 1000));
  }
}
