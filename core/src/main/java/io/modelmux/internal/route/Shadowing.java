package io.modelmux.internal.route;

import io.modelmux.RouteConfig;
import io.modelmux.RouteStatus;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A route's shadow: which share of requests it samples, the cap on copies running at once, the
 * counts, and the planner of the shadow model. The request path sends the copies; this only
 * keeps score. Thread-safe.
 */
public final class Shadowing {
  private final String route;
  private final RouteConfig.Shadow config;
  private final Semaphore permits;
  private final LongAdder sent = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private volatile @Nullable Planner target;

  Shadowing(String route, RouteConfig.Shadow config) {
    this.route = route;
    this.config = config;
    this.permits = new Semaphore(config.maxConcurrent());
  }

  /** Returns the route that copies. */
  public String route() {
    return route;
  }

  /** Returns the shadow as configured: a model, alias or route name. */
  public String targetName() {
    return config.model();
  }

  /** Returns the planner of the shadow model, or null when it is not registered now. */
  public @Nullable Planner target() {
    return target;
  }

  void bind(@Nullable Planner target) {
    this.target = target;
  }

  /** Returns whether this request is copied. */
  boolean sample() {
    return Route.chance(config.percent());
  }

  /** Takes a slot for one copy; false (and counted as dropped) when the cap is reached. */
  public boolean tryStart() {
    if (permits.tryAcquire()) {
      return true;
    }
    dropped.increment();
    return false;
  }

  /** Gives back the slot of a copy that could not start (its executor refused it). */
  public void refused() {
    permits.release();
    dropped.increment();
  }

  /** Ends a copy that ran. */
  public void finished(boolean failedCopy) {
    sent.increment();
    if (failedCopy) {
      failed.increment();
    }
    permits.release();
  }

  RouteStatus.ShadowStatus status() {
    return new RouteStatus.ShadowStatus(
        config.model(), sent.sum(), dropped.sum(), failed.sum(), config.maxConcurrent() - permits.availablePermits());
  }
}
