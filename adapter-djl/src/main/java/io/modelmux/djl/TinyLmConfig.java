package io.modelmux.djl;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The shape of a built-in tiny LM, saved as {@code tiny-lm.json} beside its parameters.
 *
 * @param format always {@value #FORMAT}
 * @param vocabSize tokens in the vocabulary (256 for the byte tokenizer)
 * @param contextLength the most tokens attended to (the position table's size)
 * @param dModel the width of the residual stream
 * @param layers the number of transformer blocks
 * @param heads attention heads per block; divides {@code dModel}
 * @param mlpRatio the MLP's hidden width as a multiple of {@code dModel}
 * @param tokenizer {@code byte}, or a tokenizer.json file name beside the config
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record TinyLmConfig(
    @JsonProperty("format") String format,
    @JsonProperty("vocab_size") int vocabSize,
    @JsonProperty("context_length") int contextLength,
    @JsonProperty("d_model") int dModel,
    @JsonProperty("layers") int layers,
    @JsonProperty("heads") int heads,
    @JsonProperty("mlp_ratio") int mlpRatio,
    @JsonProperty("tokenizer") String tokenizer) {
  static final String FORMAT = "modelmux-tiny-lm";
  static final String FILE = "tiny-lm.json";
  static final String PARAMS_PREFIX = "tiny-lm";

  /** Returns why this config is invalid, or null when it is valid. */
  String problem() {
    if (!FORMAT.equals(format)) {
      return "format must be '" + FORMAT + "', got '" + format + "'";
    }
    if (vocabSize < 2 || contextLength < 2 || dModel < 1 || layers < 1 || heads < 1 || mlpRatio < 1) {
      return "vocab_size, context_length, d_model, layers, heads and mlp_ratio must be positive";
    }
    if (dModel % heads != 0) {
      return "d_model (" + dModel + ") must be a multiple of heads (" + heads + ")";
    }
    return null;
  }

  /** Returns the number of parameters (the head shares the token embedding). */
  long parameterCount() {
    long d = dModel;
    long perLayer = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * mlpRatio * d + mlpRatio * d) + (mlpRatio * d * d + d);
    return (long) vocabSize * d + (long) contextLength * d + layers * perLayer + 2 * d;
  }

  /** Returns the bytes of a KV cache for {@code rows} rows of full context. */
  long kvCacheBytes(int rows, int bytesPerValue) {
    return 2L * layers * rows * contextLength * dModel * bytesPerValue;
  }
}
