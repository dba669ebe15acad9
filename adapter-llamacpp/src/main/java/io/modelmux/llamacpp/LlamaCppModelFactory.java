package io.modelmux.llamacpp;

import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.util.Set;

/**
 * Type {@code llamacpp}: GGUF models served by llama.cpp (java-llama.cpp) in a runner process
 * per model, started on {@link ModelAdapter#load()} and ended on unload. Creating an adapter
 * checks the options only.
 *
 * <p>Options: {@code path} (required: a {@code .gguf} file or {@code classpath:/...}; relative
 * paths are resolved against the {@code models.yaml}'s directory), {@code context_length}
 * (tokens per request; default the model's own, at most 4096; more than the model's is refused),
 * {@code parallel} (slots decoded together, default 4), {@code threads} (default: half the
 * processors, at least 1), {@code gpu_layers} (default all on Apple Silicon or with {@code device: cuda},
 * else 0), {@code kv_cache_type} ({@code f16} default, {@code f32}, {@code q8_0}, ...),
 * {@code max_tokens} (256), {@code temperature} (0.8), {@code top_k} (40), {@code top_p}
 * (0.95), {@code load_timeout} (5m). The common {@code device} setting takes {@code auto},
 * {@code cpu}, {@code mps}, {@code cuda} or {@code cuda:N}.
 */
public final class LlamaCppModelFactory implements ModelFactory {
  @Override
  public String type() {
    return "llamacpp";
  }

  @Override
  public Set<String> optionKeys() {
    return LlamaCppSettings.KEYS;
  }

  @Override
  public ModelAdapter create(ModelSpec spec) {
    return new LlamaCppAdapter(spec.ref(), LlamaCppSettings.from(spec));
  }
}
