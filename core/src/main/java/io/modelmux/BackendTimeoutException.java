package io.modelmux;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A backend did not answer within one of the model's configured timeouts: the connection was
 * not made, the response did not begin, a body or a stream went silent, or the whole exchange
 * passed its total time. The exchange was cancelled and its connection closed. Retryable: the
 * backend may be briefly overloaded. Text a stream had delivered is in {@link #partialText()}.
 */
public class BackendTimeoutException extends BackendException {
  private static final long serialVersionUID = 1L;

  private final String timeout;
  private final Duration limit;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param timeout the option that ran out, such as {@code total_timeout}; not null
   * @param limit its value; not null
   * @param partialText text delivered before the timeout, or null for none
   * @param cause the underlying cause, or null
   */
  public BackendTimeoutException(
      String message,
      @Nullable String modelId,
      String timeout,
      Duration limit,
      @Nullable String partialText,
      @Nullable Throwable cause) {
    super(message, modelId, true, -1, null, partialText, cause);
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.limit = Objects.requireNonNull(limit, "limit");
  }

  /**
   * Returns the option that ran out: {@code connect_timeout}, {@code first_byte_timeout},
   * {@code idle_timeout} or {@code total_timeout}.
   */
  public String timeout() {
    return timeout;
  }

  /** Returns how long that timeout was. */
  public Duration limit() {
    return limit;
  }
}
