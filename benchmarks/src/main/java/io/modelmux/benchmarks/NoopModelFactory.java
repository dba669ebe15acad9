package io.modelmux.benchmarks;

import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.util.Objects;
import java.util.Set;

/**
 * Creates {@link NoopAdapter}s for the type {@value #TYPE}: models that cost nothing to create,
 * load or call, so that a benchmark measures the manager and not a backend. Takes no options.
 * Registered explicitly by the benchmarks, not through {@link java.util.ServiceLoader}.
 */
public final class NoopModelFactory implements ModelFactory {
  /** The type this factory serves. */
  public static final String TYPE = "noop";

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Set<String> optionKeys() {
    return Set.of();
  }

  @Override
  public ModelAdapter create(ModelSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new NoopAdapter(spec.ref());
  }
}
