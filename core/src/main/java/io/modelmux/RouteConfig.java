package io.modelmux;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of {@code routes:} in {@code models.yaml}: a named route that splits traffic over
 * models by weight and falls back along a chain. Model names are ids, {@code id@version} or
 * aliases. Immutable.
 */
public final class RouteConfig {
  private final String name;
  private final Map<String, Integer> split;
  private final List<String> fallbacks;

  /**
   * Creates the route.
   *
   * @param name the route's name; not blank
   * @param split weight per model, in order; not null, weights positive
   * @param fallbacks models to try in order when the chosen one fails; not null
   */
  public RouteConfig(String name, Map<String, Integer> split, List<String> fallbacks) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("route name must not be blank");
    }
    Objects.requireNonNull(split, "split");
    split.forEach(
        (model, weight) -> {
          Objects.requireNonNull(model, "model");
          Objects.requireNonNull(weight, "weight");
          if (weight <= 0) {
            throw new IllegalArgumentException(
                "split weight of '" + model + "' must be positive, got " + weight);
          }
        });
    this.name = name;
    this.split = Collections.unmodifiableMap(new LinkedHashMap<>(split));
    this.fallbacks = List.copyOf(Objects.requireNonNull(fallbacks, "fallbacks"));
  }

  /** Returns the route's name. */
  public String name() {
    return name;
  }

  /** Returns the weight per model, in the order written. */
  public Map<String, Integer> split() {
    return split;
  }

  /** Returns the fallback chain, in order. */
  public List<String> fallbacks() {
    return fallbacks;
  }

  @Override
  public String toString() {
    return "RouteConfig{" + name + ", split=" + split + ", fallbacks=" + fallbacks + '}';
  }
}
