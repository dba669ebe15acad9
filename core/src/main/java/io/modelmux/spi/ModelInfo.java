package io.modelmux.spi;

import io.modelmux.ModelRef;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What an adapter serves: the model and version, the backend type, and its capabilities.
 *
 * @param ref the model and version; not null
 * @param type the backend type, as its factory's {@link ModelFactory#type()}; not null
 * @param capabilities what the adapter can do; not null
 */
public record ModelInfo(ModelRef ref, String type, Set<Capability> capabilities) {
  /** Checks and copies the arguments. */
  public ModelInfo {
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(capabilities, "capabilities");
    capabilities =
        capabilities.isEmpty()
            ? Set.of()
            : java.util.Collections.unmodifiableSet(EnumSet.copyOf(capabilities));
  }

  /** Returns whether the adapter has {@code capability}. */
  public boolean supports(Capability capability) {
    return capabilities.contains(capability);
  }
}
