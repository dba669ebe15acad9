package io.modelmux.llamacpp;

import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.SamplingDefaults;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A {@code type: llamacpp} model's options, checked when the adapter is created (no I/O).
 *
 * @param path the {@code .gguf} file, or {@code classpath:/...}
 * @param contextLength tokens per request (per slot); 0 for the model's own, at most 4096
 * @param parallel llama.cpp's parallel slots: requests decoded together
 * @param threads CPU threads for decoding (default {@link #defaultThreads()})
 * @param gpuLayers layers offloaded to the GPU (Metal, CUDA); -1 for the device's default
 * @param kvCacheType the KV cache's element type: f32, f16, q8_0, q4_0 ...
 * @param maxTokens the most tokens generated when a request does not say
 * @param temperature the temperature when a request does not say
 * @param topK the top-k when a request does not say (0 for none)
 * @param topP the top-p when a request does not say
 * @param loadTimeout how long a load may take
 * @param device {@code auto}, {@code cpu}, {@code mps}, {@code cuda} or {@code cuda:N}
 */
record LlamaCppSettings(
    String path,
    int contextLength,
    int parallel,
    int threads,
    int gpuLayers,
    String kvCacheType,
    int maxTokens,
    double temperature,
    int topK,
    double topP,
    Duration loadTimeout,
    String device,
    @Nullable Path baseDirectory) {

  static final Set<String> KEYS =
      Set.of(
          "path", "context_length", "parallel", "threads", "gpu_layers", "kv_cache_type", "max_tokens",
          "temperature", "top_k", "top_p", "load_timeout");

  /** The KV cache types llama.cpp takes ({@code --cache-type-k}). */
  static final Set<String> KV_TYPES = Set.of("f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1");

  /** The default context when neither the options nor a smaller model limit it. */
  static final int DEFAULT_CONTEXT = 4096;

  static LlamaCppSettings from(ModelSpec spec) {
    String path = spec.requiredOptionString("path");
    int context = spec.optionInt("context_length").orElse(0);
    if (context < 0) {
      throw spec.optionError("context_length", "must be at least 1 (or left out for the model's own), got " + context);
    }
    int parallel = atLeastOne(spec, "parallel", 4);
    int threads = atLeastOne(spec, "threads", defaultThreads());
    int gpuLayers = spec.optionInt("gpu_layers").orElse(-1);
    if (gpuLayers < -1) {
      throw spec.optionError("gpu_layers", "must be 0 or more (or left out for the device's default), got " + gpuLayers);
    }
    String kv = spec.optionString("kv_cache_type").orElse("f16").toLowerCase(Locale.ROOT);
    if (!KV_TYPES.contains(kv)) {
      throw spec.optionError("kv_cache_type", "must be one of " + new java.util.TreeSet<>(KV_TYPES) + ", got '" + kv + "'");
    }
    int maxTokens = atLeastOne(spec, "max_tokens", 256);
    SamplingDefaults sampling = SamplingDefaults.of(spec);
    Duration loadTimeout = spec.optionDuration("load_timeout").orElse(Duration.ofMinutes(5));
    if (loadTimeout.isNegative() || loadTimeout.isZero()) {
      throw spec.optionError("load_timeout", "must be positive, got " + loadTimeout);
    }
    String device = spec.device().orElse("auto").toLowerCase(Locale.ROOT);
    if (!device.matches("auto|cpu|mps|cuda(:[0-9]+)?")) {
      throw spec.specError("device '" + device + "' is not one of auto, cpu, mps, cuda or cuda:N", null);
    }
    if (device.equals("cpu") && gpuLayers > 0) {
      throw spec.optionError("gpu_layers", "is " + gpuLayers + " but device is cpu: leave one of them out");
    }
    Path base = spec.location().map(l -> Path.of(l.source()).toAbsolutePath().getParent()).orElse(null);
    return new LlamaCppSettings(
        path, context, parallel, threads, gpuLayers, kv, maxTokens,
        sampling.temperature(), sampling.topK(), sampling.topP(), loadTimeout, device, base);
  }

  /**
   * Half the processors (at least one), as llama.cpp itself takes its machine's physical cores:
   * its workers spin while they wait, and on this project's 2-core machine two of them beside the
   * JVM's threads made the tiny GGUF 24 times slower than one (LlamaCppBenchmark).
   */
  static int defaultThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  private static int atLeastOne(ModelSpec spec, String key, int fallback) {
    int v = spec.optionInt(key).orElse(fallback);
    if (v < 1) {
      throw spec.optionError(key, "must be at least 1, got " + v);
    }
    return v;
  }

  /** Bytes per KV cache element of {@link #kvCacheType()} (block types averaged over their block). */
  double kvBytesPerValue() {
    switch (kvCacheType) {
      case "f32":
        return 4;
      case "f16":
      case "bf16":
        return 2;
      case "q8_0":
        return 34.0 / 32;
      case "q5_1":
        return 24.0 / 32;
      case "q5_0":
        return 22.0 / 32;
      case "q4_1":
        return 20.0 / 32;
      default: // q4_0, iq4_nl
        return 18.0 / 32;
    }
  }

  /** Returns the GPU of {@code device: cuda:N} (llama.cpp's main GPU), else 0. */
  int mainGpu() {
    int colon = device.indexOf(':');
    return colon < 0 ? 0 : Integer.parseInt(device.substring(colon + 1));
  }

  /** Whether the model's layers go to the GPU by default: Metal on Apple Silicon, CUDA when asked. */
  int effectiveGpuLayers(boolean appleSilicon) {
    if (gpuLayers >= 0) {
      return gpuLayers;
    }
    if (device.equals("cpu")) {
      return 0;
    }
    if (device.startsWith("cuda") || device.equals("mps") || appleSilicon) {
      return 999; // all of them
    }
    return 0;
  }
}
