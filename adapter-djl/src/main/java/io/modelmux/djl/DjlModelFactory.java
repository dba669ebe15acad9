package io.modelmux.djl;

import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.util.Set;

/**
 * Type {@code djl}: models run in the JVM's process on DJL and PyTorch. Creating an adapter
 * checks the options only; the engine, the files and the native library are touched on
 * {@link ModelAdapter#load()}.
 *
 * <p>Options: {@code path} (required: a tiny LM directory, a TorchScript {@code .pt} file, or
 * {@code classpath:/...}; relative paths are resolved against the {@code models.yaml}'s
 * directory), {@code format} ({@code auto}, {@code tiny-lm}, {@code torchscript}),
 * {@code tokenizer} ({@code byte} or a {@code tokenizer.json} path), {@code dtype}
 * ({@code float32}, {@code float16}, {@code bfloat16}), {@code context_length} (TorchScript,
 * default 1024), {@code max_batch_size} (default 8; 1 turns batching off),
 * {@code max_batch_delay} (default 5ms), {@code max_tokens} (default 256),
 * {@code temperature} (default 0.8), {@code top_k} (default 40), {@code top_p} (default 0.95),
 * {@code eos_token_id}. The common {@code device} setting takes {@code auto}, {@code cpu},
 * {@code cuda:N} or {@code mps}.
 */
public final class DjlModelFactory implements ModelFactory {
  @Override
  public String type() {
    return "djl";
  }

  @Override
  public Set<String> optionKeys() {
    return DjlSettings.KEYS;
  }

  @Override
  public ModelAdapter create(ModelSpec spec) {
    return new DjlAdapter(spec.ref(), DjlSettings.from(spec));
  }
}
