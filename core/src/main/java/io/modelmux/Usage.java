package io.modelmux;

/**
 * Token counts of one request, as the model or backend reported them.
 *
 * @param promptTokens tokens in the prompt; not negative
 * @param completionTokens tokens generated; not negative
 */
public record Usage(long promptTokens, long completionTokens) {
  /** Checks the arguments. */
  public Usage {
    if (promptTokens < 0) {
      throw new IllegalArgumentException("promptTokens must not be negative: " + promptTokens);
    }
    if (completionTokens < 0) {
      throw new IllegalArgumentException(
          "completionTokens must not be negative: " + completionTokens);
    }
  }

  /** Returns prompt plus completion tokens. */
  public long totalTokens() {
    return promptTokens + completionTokens;
  }
}
