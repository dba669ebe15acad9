package io.modelmux;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The manager's figures at one moment ({@link MultiModelManager#metrics()}): every model's
 * status, with how it served ({@link ModelStatus#servingStats()}), every route's figures, and
 * how many events request listeners missed because they fell behind, and the response cache's
 * figures when there is a cache. Immutable.
 *
 * @param models every registered (or draining) model, in registration order
 * @param routes every route, in the order defined
 * @param listenerEventsDropped events {@link RequestListener}s missed: their queue was full
 * @param responseCache the response cache's figures, or null without a cache
 * @param cost what the requests cost: in all, by model, route and tag, shadow copies apart
 */
public record ManagerMetrics(
    List<ModelStatus> models, List<RouteMetrics> routes, long listenerEventsDropped, @Nullable ResponseCacheStats responseCache,
    CostReport cost) {
  /** Checks and copies the arguments. */
  public ManagerMetrics {
    models = List.copyOf(Objects.requireNonNull(models, "models"));
    routes = List.copyOf(Objects.requireNonNull(routes, "routes"));
    Objects.requireNonNull(cost, "cost");
  }

  /** Returns the response cache's figures; empty when the manager has no cache. */
  public Optional<ResponseCacheStats> cache() {
    return Optional.ofNullable(responseCache);
  }
}
