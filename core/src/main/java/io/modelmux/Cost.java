package io.modelmux;

/**
 * What one response cost, from its model's {@code price} (per million input and output tokens,
 * in the caller's currency; a local model may carry an amortised price) and the tokens it
 * used. {@code estimated} when the backend reported no usage and the tokens were counted here:
 * with the model's own tokenizer when it has one, else at four characters a token. An answer
 * from the response cache costs nothing. Immutable.
 *
 * @param amount the cost; not negative
 * @param inputTokens the prompt tokens it was counted from
 * @param outputTokens the generated tokens it was counted from
 * @param estimated whether the tokens were counted here rather than reported by the backend
 */
public record Cost(double amount, long inputTokens, long outputTokens, boolean estimated) {
  /** Checks the arguments. */
  public Cost {
    if (!(amount >= 0) || Double.isInfinite(amount)) {
      throw new IllegalArgumentException("amount must be finite and not negative, got " + amount);
    }
    if (inputTokens < 0 || outputTokens < 0) {
      throw new IllegalArgumentException("token counts must not be negative");
    }
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "%.6f", amount) + " (" + inputTokens + " in, " + outputTokens + " out"
        + (estimated ? ", estimated" : "") + ")";
  }
}
