package io.modelmux.djl;

import ai.djl.ndarray.types.DataType;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.SamplingDefaults;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@code type: djl} model's options, checked when the adapter is created (no I/O).
 *
 * @param path where the model is: a directory or file path, or {@code classpath:/...}
 * @param format {@code auto}, {@code tiny-lm} or {@code torchscript}
 * @param tokenizer {@code byte}, a tokenizer.json path, or null for the model's own
 * @param device {@code auto}, {@code cpu}, {@code cuda:N} or {@code mps}
 * @param dtype the parameters' data type
 * @param contextLength for TorchScript models, the most tokens they take (tiny LMs say it)
 * @param maxBatchSize the most requests decoded together (1 turns batching off)
 * @param maxBatchDelay how long the first request of a batch waits for others
 * @param maxTokens the most tokens generated when a request does not say
 * @param temperature the temperature when a request does not say
 * @param topK the top-k when a request does not say (0 for none)
 * @param topP the top-p when a request does not say
 * @param eosTokenId the end-of-sequence id, or -1 for the tokenizer's own
 */
record DjlSettings(
    String path,
    String format,
    @Nullable String tokenizer,
    String device,
    DataType dtype,
    int contextLength,
    int maxBatchSize,
    Duration maxBatchDelay,
    int maxTokens,
    double temperature,
    int topK,
    double topP,
    int eosTokenId,
    @Nullable Path baseDirectory) {

  static final Set<String> KEYS =
      Set.of(
          "path", "format", "tokenizer", "dtype", "context_length", "max_batch_size",
          "max_batch_delay", "max_tokens", "temperature", "top_k", "top_p", "eos_token_id");

  static DjlSettings from(ModelSpec spec) {
    String path = spec.requiredOptionString("path");
    String format = spec.optionString("format").orElse("auto").toLowerCase(Locale.ROOT);
    if (!Set.of("auto", "tiny-lm", "torchscript").contains(format)) {
      throw spec.optionError("format", "must be auto, tiny-lm or torchscript, got '" + format + "'");
    }
    String device = spec.device().orElse("auto");
    if (!DeviceSelection.isValid(device)) {
      throw spec.specError(
          "device '" + device + "' is not one of auto, cpu, cuda, cuda:N or mps", null);
    }
    String dtypeName = spec.optionString("dtype").orElse("float32").toLowerCase(Locale.ROOT);
    DataType dtype;
    switch (dtypeName) {
      case "float32":
        dtype = DataType.FLOAT32;
        break;
      case "float16":
        dtype = DataType.FLOAT16;
        break;
      case "bfloat16":
        // Measured: DJL 0.35.1's PyTorch binding aborts the whole process (std::terminate)
        // when it converts a tensor to bfloat16, on CPU. Refuse it before anything native runs.
        throw spec.optionError(
            "dtype",
            "bfloat16 is not supported: DJL 0.35.1's PyTorch binding aborts the process when it"
                + " converts to bfloat16; use float16 (half the memory of float32) or float32");
      default:
        throw spec.optionError("dtype", "must be float32 or float16, got '" + dtypeName + "'");
    }
    int context = positive(spec, "context_length", 1024);
    int batch = positive(spec, "max_batch_size", 8);
    Duration delay = spec.optionDuration("max_batch_delay").orElse(Duration.ofMillis(5));
    if (delay.isNegative()) {
      throw spec.optionError("max_batch_delay", "must not be negative, got " + delay);
    }
    int maxTokens = positive(spec, "max_tokens", 256);
    SamplingDefaults sampling = SamplingDefaults.of(spec);
    int eos = spec.optionInt("eos_token_id").orElse(-1);
    Path base =
        spec.location()
            .map(l -> Path.of(l.source()).toAbsolutePath().getParent())
            .orElse(null);
    return new DjlSettings(
        path, format, spec.optionString("tokenizer").orElse(null), device, dtype, context, batch,
        delay, maxTokens, sampling.temperature(), sampling.topK(), sampling.topP(), eos, base);
  }

  private static int positive(ModelSpec spec, String key, int fallback) {
    int v = spec.optionInt(key).orElse(fallback);
    if (v < 1) {
      throw spec.optionError(key, "must be at least 1, got " + v);
    }
    return v;
  }
}
