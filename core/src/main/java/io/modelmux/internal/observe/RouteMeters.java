package io.modelmux.internal.observe;

import io.modelmux.RouteMetrics;
import io.modelmux.SpendLimit;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * One route's figures: the caller's requests it planned (shadow copies not counted), how many
 * failed, and their latency whole (retries and fallbacks included). Lives as long as the route.
 * Thread-safe.
 */
public final class RouteMeters {
  private final String route;
  private final Histogram latency = new Histogram();
  private final LongAdder failures = new LongAdder();
  private final LongAdder cost = new LongAdder();
  private final @Nullable SpendBook spend;

  /**
   * @param route the route's name
   * @param limit its spend limit, or null
   */
  public RouteMeters(String route, @Nullable SpendLimit limit) {
    this.route = route;
    this.spend = limit == null ? null : new SpendBook(limit, "route '" + route + "'", null);
  }

  /** Returns the route's spend book, or null without a limit. */
  public @Nullable SpendBook spend() {
    return spend;
  }

  /** Records a request's cost, in billionths. */
  public void cost(long nanos) {
    cost.add(nanos);
  }

  /** Returns the route's cost so far, in currency. */
  public double cost() {
    return cost.sum() / SpendBook.NANOS;
  }

  /** Records a request the route answered after {@code nanos}. */
  public void served(long nanos) {
    latency.record(nanos);
  }

  /** Records a request of the route that failed. */
  public void failed() {
    failures.increment();
  }

  /** Returns the requests it planned that ended. */
  public long requests() {
    return latency.count() + failures.sum();
  }

  /** Returns those that failed. */
  public long failures() {
    return failures.sum();
  }

  /** Returns a snapshot. */
  public RouteMetrics metrics() {
    long failed = failures.sum();
    return new RouteMetrics(route, latency.count() + failed, failed, latency.stats(), cost());
  }
}
