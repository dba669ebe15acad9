package io.modelmux.spi;

/**
 * What a model costs, in the caller's currency per million tokens.
 *
 * @param inputPerMillionTokens price of one million prompt tokens; not negative
 * @param outputPerMillionTokens price of one million generated tokens; not negative
 */
public record Prices(double inputPerMillionTokens, double outputPerMillionTokens) {
  /** Checks the arguments. */
  public Prices {
    if (!(inputPerMillionTokens >= 0) || Double.isInfinite(inputPerMillionTokens)) {
      throw new IllegalArgumentException(
          "input price must be finite and not negative, got " + inputPerMillionTokens);
    }
    if (!(outputPerMillionTokens >= 0) || Double.isInfinite(outputPerMillionTokens)) {
      throw new IllegalArgumentException(
          "output price must be finite and not negative, got " + outputPerMillionTokens);
    }
  }

  /** Returns the cost of a request with these token counts. */
  public double cost(long promptTokens, long completionTokens) {
    return (promptTokens * inputPerMillionTokens + completionTokens * outputPerMillionTokens)
        / 1_000_000.0;
  }
}
