package io.modelmux;

import java.time.Duration;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * The prompt (with the tokens asked for) does not fit the model's context. Sending it again
 * unchanged fails again; a route's {@code on_context_length} model, one with a longer context,
 * may serve it. Raised by a backend that refused the request for its length, or before any call
 * when the model's own tokenizer counts the prompt as too long.
 */
public class ContextLengthExceededException extends InvalidRequestException {
  private static final long serialVersionUID = 1L;

  private final int promptTokens;
  private final int contextLength;

  /**
   * Creates the exception.
   *
   * @param message what happened and what to do; not null
   * @param modelId the model concerned, or null
   * @param statusCode the backend's status code, or -1 when counted locally
   * @param promptTokens the prompt's tokens when known, else -1
   * @param contextLength the model's context when known, else -1
   * @param cause the underlying cause, or null
   */
  public ContextLengthExceededException(
      String message, @Nullable String modelId, int statusCode, int promptTokens, int contextLength, @Nullable Throwable cause) {
    super(message, modelId, statusCode, (Duration) null, cause);
    this.promptTokens = promptTokens;
    this.contextLength = contextLength;
  }

  /** Returns the prompt's tokens, when the backend or the tokenizer said. */
  public OptionalInt promptTokens() {
    return promptTokens < 0 ? OptionalInt.empty() : OptionalInt.of(promptTokens);
  }

  /** Returns the model's context in tokens, when known. */
  public OptionalInt contextLength() {
    return contextLength < 0 ? OptionalInt.empty() : OptionalInt.of(contextLength);
  }
}
