package io.modelmux.internal.observe;

import io.modelmux.RouteMetrics;
import java.util.concurrent.atomic.LongAdder;

/**
 * One route's figures: the caller's requests it planned (shadow copies not counted), how many
 * failed, and their latency whole (retries and fallbacks included). Lives as long as the route.
 * Thread-safe.
 */
public final class RouteMeters {
  private final String route;
  private final Histogram latency = new Histogram();
  private final LongAdder failures = new LongAdder();

  public RouteMeters(String route) {
    this.route = route;
  }

  /** Records a request the route answered after {@code nanos}. */
  public void served(long nanos) {
    latency.record(nanos);
  }

  /** Records a request of the route that failed. */
  public void failed() {
    failures.increment();
  }

  /** Returns a snapshot. */
  public RouteMetrics metrics() {
    long failed = failures.sum();
    return new RouteMetrics(route, latency.count() + failed, failed, latency.stats());
  }
}
