package io.modelmux;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one route: its policy, the share of traffic each target gets now, the canary's
 * state and numbers, the shadow's counts, and the previous target a switch can roll back to.
 * Immutable.
 *
 * @param name the route; not null
 * @param policy the policy; not null
 * @param shares the share of traffic per target now, 0 to 1, in order; not null
 * @param canary the canary's state, for a canary route
 * @param shadow the shadow's counts, for a route with a shadow
 * @param previous the target a {@code rollback} returns to after a switch, or null
 * @param requests requests the route planned
 */
public record RouteStatus(
    String name,
    RouteConfig.Policy policy,
    Map<String, Double> shares,
    @Nullable CanaryStatus canary,
    @Nullable ShadowStatus shadow,
    @Nullable String previous,
    long requests) {
  /** Checks the arguments. */
  public RouteStatus {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(policy, "policy");
    shares = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(Objects.requireNonNull(shares, "shares")));
  }

  /** Returns the canary's state, for a canary route. */
  public Optional<CanaryStatus> canaryStatus() {
    return Optional.ofNullable(canary);
  }

  /** Returns the shadow's counts, for a route with a shadow. */
  public Optional<ShadowStatus> shadowStatus() {
    return Optional.ofNullable(shadow);
  }

  /**
   * A canary's state over its window.
   *
   * @param state running, rolled back or promoted; not null
   * @param percent the canary's share now, 0 to 100
   * @param stable the stable side's numbers; not null
   * @param canary the canary side's numbers; not null
   * @param reason why it was rolled back or promoted, or null while running
   */
  public record CanaryStatus(State state, double percent, WindowStats stable, WindowStats canary, @Nullable String reason) {
    /** A canary's state. */
    public enum State {
      RUNNING,
      ROLLED_BACK,
      PROMOTED
    }
  }

  /**
   * One side's outcomes over a canary's window.
   *
   * @param requests outcomes counted
   * @param errorRate the share that failed, 0 to 1
   * @param p95Millis the 95th percentile latency in milliseconds, or -1 with no outcome
   */
  public record WindowStats(long requests, double errorRate, double p95Millis) {}

  /**
   * A shadow's counts.
   *
   * @param model the shadow model; not null
   * @param sent copies sent
   * @param dropped copies dropped because {@code maxConcurrent} were running (or the executor refused)
   * @param failed copies that failed
   * @param inFlight copies running now
   */
  public record ShadowStatus(String model, long sent, long dropped, long failed, int inFlight) {}

  /** Returns the targets in order. */
  public List<String> targets() {
    return List.copyOf(shares.keySet());
  }
}
