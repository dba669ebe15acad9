package io.modelmux.internal.route;

import io.modelmux.GenerateRequest;
import io.modelmux.RouteConfig;
import io.modelmux.RouteStatus;
import io.modelmux.UnknownModelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A named route: its config, its targets bound to the planners they name now, its shadow, its
 * count. The binding is swapped whole (a volatile array) when the registry changes, so a request
 * sees one consistent set of targets; the route's own state (a canary's windows, a shadow's
 * slots) lives as long as the route. Thread-safe.
 */
abstract class Route implements Planner {
  final RouteConfig config;
  final String name;
  private final @Nullable Shadowing shadowing;
  private final LongAdder requests = new LongAdder();

  Route(RouteConfig config) {
    this.config = config;
    this.name = config.name();
    this.shadowing = config.shadow().map(s -> new Shadowing(config.name(), s)).orElse(null);
  }

  @Override
  public final Plan plan(GenerateRequest request) {
    requests.increment();
    Plan plan = choose(request);
    if (shadowing != null && shadowing.sample()) {
      plan = plan.withShadow(shadowing);
    }
    return plan;
  }

  /** Chooses for one request. */
  abstract Plan choose(GenerateRequest request);

  /**
   * Binds the targets to what their names lead to now; a name that leads nowhere (a model
   * unregistered since) is left out until it is back.
   */
  void bind(Function<String, @Nullable Planner> resolve) {
    if (shadowing != null) {
      shadowing.bind(config.shadow().map(s -> resolve.apply(s.model())).orElse(null));
    }
    bindTargets(resolve);
  }

  abstract void bindTargets(Function<String, @Nullable Planner> resolve);

  /** Returns the route's state now. */
  RouteStatus status(@Nullable String previous) {
    return new RouteStatus(
        name, config.policy(), shares(), canaryStatus(), shadowing == null ? null : shadowing.status(), previous,
        requests.sum());
  }

  abstract Map<String, Double> shares();

  RouteStatus.@Nullable CanaryStatus canaryStatus() {
    return null;
  }

  UnknownModelException nothingBound(List<String> wanted) {
    return new UnknownModelException(
        "route '" + name + "' has no target registered now (it sends to " + String.join(", ", wanted)
            + "); register one of them",
        name, new ArrayList<>(wanted), null);
  }
}
