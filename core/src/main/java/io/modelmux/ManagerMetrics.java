package io.modelmux;

import java.util.List;
import java.util.Objects;

/**
 * The manager's figures at one moment ({@link MultiModelManager#metrics()}): every model's
 * status, with how it served ({@link ModelStatus#servingStats()}), every route's figures, and
 * how many events request listeners missed because they fell behind. Immutable.
 *
 * @param models every registered (or draining) model, in registration order
 * @param routes every route, in the order defined
 * @param listenerEventsDropped events {@link RequestListener}s missed: their queue was full
 */
public record ManagerMetrics(List<ModelStatus> models, List<RouteMetrics> routes, long listenerEventsDropped) {
  /** Checks and copies the arguments. */
  public ManagerMetrics {
    models = List.copyOf(Objects.requireNonNull(models, "models"));
    routes = List.copyOf(Objects.requireNonNull(routes, "routes"));
  }
}
