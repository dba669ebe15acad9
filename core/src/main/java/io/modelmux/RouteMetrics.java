package io.modelmux;

import java.util.Objects;

/**
 * How a route served the caller's requests since the manager was built (shadow copies are counted
 * on the models they reached): requests, failures, and the latency of those answered, whole —
 * retries and fallbacks included. Immutable.
 *
 * @param route the route's name
 * @param requests requests it planned that ended (answered or failed)
 * @param failures those that failed
 * @param latency the latency of those answered
 * @param cost what its requests cost (of models with a price)
 */
public record RouteMetrics(String route, long requests, long failures, LatencyStats latency, double cost) {
  /** Checks the arguments. */
  public RouteMetrics {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(latency, "latency");
  }
}
