package io.modelmux.spi;

import io.modelmux.ConfigException;
import java.util.Set;

/**
 * Creates adapters for one backend type ({@code djl}, {@code openai}, {@code gemini}, or an
 * application's own). Implementations are found with {@link java.util.ServiceLoader}: list the
 * class in {@code META-INF/services/io.modelmux.spi.ModelFactory} (and {@code provides} it in
 * {@code module-info.java} on the module path), or register an instance with
 * {@link ModelFactories#register(ModelFactory)}.
 *
 * <p>A factory must have a public no-argument constructor that does no I/O and loads no native
 * library: heavy work belongs in {@link ModelAdapter#load()}. Implementations must be
 * thread-safe.
 */
public interface ModelFactory {
  /**
   * Returns the type this factory serves, as written in {@code models.yaml}'s {@code type:}.
   * Lower case letters, digits, {@code -} and {@code _}; constant for the factory's life.
   */
  String type();

  /**
   * Returns the option keys a spec of this type may carry beyond the common ones (for example
   * {@code path}, {@code base_url}). A spec with any other key is rejected before
   * {@link #create} is called, naming the key and the closest supported one.
   */
  Set<String> optionKeys();

  /**
   * Creates an adapter for {@code spec}, checking its options. Must not load the model.
   *
   * @param spec the spec; not null, of this factory's type, with only keys from
   *     {@link #optionKeys()}
   * @return a new, unloaded adapter
   * @throws ConfigException if an option is missing or invalid, naming the option and the
   *     model
   */
  ModelAdapter create(ModelSpec spec);
}
