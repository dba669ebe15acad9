package io.modelmux;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One named route: a request that names the route is sent by its policy to one of its models
 * (ids, {@code id@version}, aliases, or other routes). A route's name shares the namespace of
 * model ids and aliases, and may be the default model. Immutable; built with {@link
 * #builder(String)}.
 *
 * <ul>
 *   <li><b>split</b> ({@link Builder#split}, {@link Builder#target}): weighted; with a routing
 *       key the same key goes to the same model while the weights stand, and a weight change
 *       moves only the keys it must (weighted rendezvous hashing); without one, at random by
 *       weight. One target with any weight is a plain alias that can be switched with zero
 *       downtime.
 *   <li><b>canary</b> ({@link Builder#canary}): a share of traffic to a canary model; over a
 *       sliding window its error rate and p95 latency are compared with the stable model's, and
 *       past a threshold the canary's share drops to zero (automatic rollback).
 *   <li><b>auto</b> ({@link Builder#auto}): the request's task (by the {@link
 *       io.modelmux.spi.TaskClassifier}) chooses among models tagged with it, by the stated
 *       preference; else the default model.
 * </ul>
 *
 * <p>Any route may copy a sampled share of its requests to a shadow model ({@link
 * Builder#shadow}), off the caller's path.
 */
public final class RouteConfig {
  /** The policies a route may have. */
  public enum Policy {
    SPLIT,
    CANARY,
    AUTO
  }

  /** What automatic selection prefers among the models tagged for a task. */
  public enum Preference {
    /** The lowest median latency of recent requests (models without any come last). */
    LATENCY,
    /** The lowest price per million tokens, input plus output (models without prices come last). */
    PRICE,
    /** The highest {@code priority}. */
    PRIORITY;

    /** Parses {@code latency}, {@code price} or {@code priority}, in any case. */
    public static Preference parse(String text) {
      Objects.requireNonNull(text, "text");
      try {
        return valueOf(text.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("prefer must be latency, price or priority, got '" + text + "'", e);
      }
    }
  }

  private final String name;
  private final Policy policy;
  private final Map<String, Integer> split;
  private final @Nullable Canary canary;
  private final @Nullable Preference prefer;
  private final @Nullable Shadow shadow;
  private final List<String> fallbacks;
  private final @Nullable String onContextLength;
  private final @Nullable String onContentFilter;
  private final @Nullable SpendLimit spendLimit;

  private RouteConfig(Builder b) {
    this.name = b.name;
    this.split = Collections.unmodifiableMap(new LinkedHashMap<>(b.split));
    this.canary = b.canary;
    this.prefer = b.prefer;
    this.shadow = b.shadow;
    this.fallbacks = List.copyOf(b.fallbacks);
    this.onContextLength = b.onContextLength;
    this.onContentFilter = b.onContentFilter;
    this.spendLimit = b.spendLimit;
    int policies = (split.isEmpty() ? 0 : 1) + (canary == null ? 0 : 1) + (prefer == null ? 0 : 1);
    if (policies != 1) {
      throw new IllegalStateException(
          "route '" + name + "' needs exactly one policy: split (or target), canary or auto; it has " + policies);
    }
    this.policy = canary != null ? Policy.CANARY : prefer != null ? Policy.AUTO : Policy.SPLIT;
  }

  /**
   * Creates a split route, as {@code models.yaml}'s {@code split:} writes it.
   *
   * @param name the route's name; not blank
   * @param split weight per model, in order; not empty, weights positive
   * @param fallbacks models to try in order when the chosen one fails; not null
   */
  public RouteConfig(String name, Map<String, Integer> split, List<String> fallbacks) {
    this(withSplit(builder(name), split).fallbacks(fallbacks));
  }

  private static Builder withSplit(Builder b, Map<String, Integer> split) {
    Objects.requireNonNull(split, "split").forEach((model, weight) -> b.split(model, Objects.requireNonNull(weight, "weight")));
    return b;
  }

  /** Returns a builder for the route {@code name}: a name like a model id (not blank, no '@'). */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Returns the route's name. */
  public String name() {
    return name;
  }

  /** Returns the route's policy. */
  public Policy policy() {
    return policy;
  }

  /** Returns the weight per model of a split route, in the order written; empty otherwise. */
  public Map<String, Integer> split() {
    return split;
  }

  /** Returns the canary settings of a canary route. */
  public Optional<Canary> canary() {
    return Optional.ofNullable(canary);
  }

  /** Returns the preference of an auto route. */
  public Optional<Preference> prefer() {
    return Optional.ofNullable(prefer);
  }

  /** Returns the shadow settings, if the route copies requests to a shadow model. */
  public Optional<Shadow> shadow() {
    return Optional.ofNullable(shadow);
  }

  /**
   * Returns the model (or route) a request goes to when the chosen one finds its prompt too long
   * for its context ({@link ContextLengthExceededException}), if set.
   */
  public Optional<String> onContextLength() {
    return Optional.ofNullable(onContextLength);
  }

  /**
   * Returns the model (or route) a request goes to when the chosen one blocks it as filtered
   * ({@link ContentFilteredException}), if set; without one the caller gets the typed error.
   */
  public Optional<String> onContentFilter() {
    return Optional.ofNullable(onContentFilter);
  }

  /**
   * Returns the most the route's requests may spend per period, all its models together (a
   * model's own limit applies beside it), if set.
   */
  public Optional<SpendLimit> spendLimit() {
    return Optional.ofNullable(spendLimit);
  }

  /** Returns the fallback chain, in order. */
  public List<String> fallbacks() {
    return fallbacks;
  }

  /** Returns the models and routes this route may send a request to (not the shadow). */
  public List<String> targets() {
    if (canary != null) {
      return List.of(canary.stable(), canary.canary());
    }
    return List.copyOf(split.keySet());
  }

  @Override
  public String toString() {
    return "RouteConfig{" + name + ", " + policy
        + (policy == Policy.SPLIT ? ", split=" + split : policy == Policy.CANARY ? ", " + canary : ", prefer=" + prefer)
        + (shadow == null ? "" : ", " + shadow) + (fallbacks.isEmpty() ? "" : ", fallbacks=" + fallbacks)
        + (onContextLength == null ? "" : ", onContextLength=" + onContextLength)
        + (onContentFilter == null ? "" : ", onContentFilter=" + onContentFilter)
        + (spendLimit == null ? "" : ", spendLimit=" + spendLimit) + '}';
  }

  /** Builds a {@link RouteConfig}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final Map<String, Integer> split = new LinkedHashMap<>();
    private @Nullable Canary canary;
    private @Nullable Preference prefer;
    private @Nullable Shadow shadow;
    private List<String> fallbacks = List.of();
    private @Nullable String onContextLength;
    private @Nullable String onContentFilter;
    private @Nullable SpendLimit spendLimit;

    private Builder(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank() || name.indexOf('@') >= 0 || !name.strip().equals(name)) {
        throw new IllegalArgumentException(
            "route name must be non-blank, without '@' and without spaces at either end, got '" + name + "'");
      }
      this.name = name;
    }

    /** Adds a model (or route) to a split with {@code weight}; weight positive. */
    public Builder split(String model, int weight) {
      Objects.requireNonNull(model, "model");
      if (weight <= 0) {
        throw new IllegalArgumentException("split weight of '" + model + "' must be positive, got " + weight);
      }
      split.put(model, weight);
      return this;
    }

    /** Makes this a route to one model (or route): a split of one. */
    public Builder target(String model) {
      split.clear();
      return split(model, 1);
    }

    /** Makes this a canary route. */
    public Builder canary(Canary canary) {
      this.canary = Objects.requireNonNull(canary, "canary");
      return this;
    }

    /** Makes this an automatic-selection route with {@code prefer}. */
    public Builder auto(Preference prefer) {
      this.prefer = Objects.requireNonNull(prefer, "prefer");
      return this;
    }

    /** Copies a share of the route's requests to a shadow model. */
    public Builder shadow(Shadow shadow) {
      this.shadow = Objects.requireNonNull(shadow, "shadow");
      return this;
    }

    /** Sets the models to try in order when the chosen one fails; not null. */
    public Builder fallbacks(List<String> fallbacks) {
      this.fallbacks = List.copyOf(Objects.requireNonNull(fallbacks, "fallbacks"));
      return this;
    }

    /** Sends requests whose prompt is too long for the chosen model to {@code model} (or route); not null. */
    public Builder onContextLength(String model) {
      this.onContextLength = Objects.requireNonNull(model, "model");
      return this;
    }

    /** Sends requests the chosen model blocks as filtered to {@code model} (or route); not null. */
    public Builder onContentFilter(String model) {
      this.onContentFilter = Objects.requireNonNull(model, "model");
      return this;
    }

    /** Limits what the route's requests spend per period, all its models together; not null. */
    public Builder spendLimit(SpendLimit spendLimit) {
      this.spendLimit = Objects.requireNonNull(spendLimit, "spendLimit");
      return this;
    }

    /**
     * Returns the route.
     *
     * @throws IllegalStateException if it has no policy or more than one
     */
    public RouteConfig build() {
      return new RouteConfig(this);
    }
  }

  /**
   * A canary: {@code percent} of the route's traffic goes to {@code canary}, the rest to {@code
   * stable}. Over the last {@code window}, once each side has served {@code minRequests}, the
   * canary is rolled back (its share set to zero) when its error rate passes the stable one's by
   * more than {@code maxErrorRateIncrease}, or its p95 latency passes {@code maxLatencyRatio}
   * times the stable one's.
   *
   * @param stable the model (or route) that serves most traffic; not null
   * @param canary the model (or route) being tried; not null
   * @param percent the canary's share, 0 to 100
   * @param window how far back outcomes count; positive
   * @param minRequests the outcomes each side needs before a judgement; at least 1
   * @param maxErrorRateIncrease the largest tolerated excess of the canary's error rate, 0 to 1
   * @param maxLatencyRatio the largest tolerated ratio of p95 latencies; at least 1
   */
  public record Canary(
      String stable,
      String canary,
      double percent,
      Duration window,
      int minRequests,
      double maxErrorRateIncrease,
      double maxLatencyRatio) {
    /** Checks the arguments. */
    public Canary {
      Objects.requireNonNull(stable, "stable");
      Objects.requireNonNull(canary, "canary");
      Objects.requireNonNull(window, "window");
      if (!(percent >= 0 && percent <= 100)) {
        throw new IllegalArgumentException("canary percent must be from 0 to 100, got " + percent);
      }
      if (window.isNegative() || window.isZero()) {
        throw new IllegalArgumentException("canary window must be positive, got " + window);
      }
      if (minRequests < 1) {
        throw new IllegalArgumentException("canary minRequests must be at least 1, got " + minRequests);
      }
      if (!(maxErrorRateIncrease >= 0 && maxErrorRateIncrease <= 1)) {
        throw new IllegalArgumentException("canary maxErrorRateIncrease must be from 0 to 1, got " + maxErrorRateIncrease);
      }
      if (!(maxLatencyRatio >= 1) || Double.isInfinite(maxLatencyRatio)) {
        throw new IllegalArgumentException("canary maxLatencyRatio must be a finite number of at least 1, got " + maxLatencyRatio);
      }
      if (stable.equals(canary)) {
        throw new IllegalArgumentException("canary and stable must differ, both are '" + stable + "'");
      }
    }

    /**
     * Returns a canary of {@code percent} with the defaults: a 5-minute window, 20 requests a
     * side, an error rate at most 5 points above the stable one's, p95 latency at most twice.
     */
    public static Canary of(String stable, String canary, double percent) {
      return new Canary(stable, canary, percent, Duration.ofMinutes(5), 20, 0.05, 2.0);
    }
  }

  /**
   * A shadow: {@code percent} of the route's requests are copied to {@code model} off the
   * caller's path, at most {@code maxConcurrent} at a time (beyond that a copy is dropped and
   * counted). Shadow answers are recorded, never returned.
   *
   * @param model the shadow model (or route); not null
   * @param percent the share copied, 0 to 100
   * @param maxConcurrent the most shadow calls at once; at least 1
   */
  public record Shadow(String model, double percent, int maxConcurrent) {
    /** Checks the arguments. */
    public Shadow {
      Objects.requireNonNull(model, "model");
      if (!(percent >= 0 && percent <= 100)) {
        throw new IllegalArgumentException("shadow percent must be from 0 to 100, got " + percent);
      }
      if (maxConcurrent < 1) {
        throw new IllegalArgumentException("shadow maxConcurrent must be at least 1, got " + maxConcurrent);
      }
    }
  }
}
