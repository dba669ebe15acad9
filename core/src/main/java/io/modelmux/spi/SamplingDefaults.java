package io.modelmux.spi;

/**
 * How a local model samples when a request does not say: the options {@code temperature}
 * (default 0.8, finite, not negative), {@code top_k} (default 40; 0 for no limit) and {@code
 * top_p} (default 0.95, in (0, 1]), read and checked once for every adapter that samples itself.
 *
 * @param temperature the temperature; 0 picks the likeliest token
 * @param topK how many of the likeliest tokens to sample from; 0 for all
 * @param topP the probability mass to sample from, in (0, 1]
 */
public record SamplingDefaults(double temperature, int topK, double topP) {

  /**
   * Reads {@code spec}'s sampling options.
   *
   * @throws io.modelmux.ConfigException naming the option, its value and where it was written, when one is out of range
   */
  public static SamplingDefaults of(ModelSpec spec) {
    double temperature = spec.optionDouble("temperature").orElse(0.8);
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw spec.optionError("temperature", "must be finite and not negative, got " + temperature);
    }
    int topK = spec.optionInt("top_k").orElse(40);
    if (topK < 0) {
      throw spec.optionError("top_k", "must not be negative (0 means no limit), got " + topK);
    }
    double topP = spec.optionDouble("top_p").orElse(0.95);
    if (!(topP > 0 && topP <= 1)) {
      throw spec.optionError("top_p", "must be in (0, 1], got " + topP);
    }
    return new SamplingDefaults(temperature, topK, topP);
  }
}
