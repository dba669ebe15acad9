package io.modelmux.internal.route;

import io.modelmux.GenerateRequest;
import io.modelmux.RouteConfig;
import io.modelmux.RouteStatus;
import io.modelmux.Routing;
import io.modelmux.UnknownModelException;
import io.modelmux.internal.observe.RouteMeters;
import io.modelmux.internal.registry.RegisteredModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A named route: its config, its targets and fallbacks bound to the planners they name now, its
 * shadow, its count. The binding is swapped whole (a volatile array) when the registry changes, so a request
 * sees one consistent set of targets; the route's own state (a canary's windows, a shadow's
 * slots) lives as long as the route. Thread-safe.
 */
abstract class Route implements Planner {
  /**
   * What the names lead to now, for binding: every name's planner, the registered models by
   * tag, and the default model's plan (never a default route, which could lead back to an auto
   * route). Immutable; one per rebuild of the router's snapshot.
   */
  static final class Bindings {
    final Map<String, Planner> byName;
    final Map<String, List<RegisteredModel>> byTag;
    final @Nullable Planner defaultModel;

    Bindings(Map<String, Planner> byName, Map<String, List<RegisteredModel>> byTag, @Nullable Planner defaultModel) {
      this.byName = byName;
      this.byTag = byTag;
      this.defaultModel = defaultModel;
    }

    /** Returns what {@code name} leads to now, or null. */
    @Nullable Planner resolve(String name) {
      return byName.get(name);
    }
  }

  final RouteConfig config;
  final String name;
  private final @Nullable Shadowing shadowing;
  private final LongAdder requests = new LongAdder();
  final RouteMeters meters;
  private volatile @Nullable Planner[] fallbacks = Plan.NO_FALLBACKS;
  private volatile Plan.@Nullable ErrorRoutes errorRoutes;

  Route(RouteConfig config) {
    this.config = config;
    this.name = config.name();
    this.meters = new RouteMeters(config.name(), config.spendLimit().orElse(null));
    this.shadowing = config.shadow().map(s -> new Shadowing(config.name(), s)).orElse(null);
  }

  @Override
  public final Plan plan(GenerateRequest request) {
    requests.increment();
    Plan plan = choose(request).withFallbacks(fallbacks, errorRoutes).countedFor(meters);
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
  void bind(Bindings now) {
    if (shadowing != null) {
      shadowing.bind(now.resolve(shadowing.targetName()));
    }
    List<String> names = config.fallbacks();
    @Nullable Planner[] bound = names.isEmpty() ? Plan.NO_FALLBACKS : new Planner[names.size()];
    for (int i = 0; i < bound.length; i++) {
      bound[i] = now.resolve(names.get(i));
    }
    fallbacks = bound;
    String context = config.onContextLength().orElse(null);
    String filter = config.onContentFilter().orElse(null);
    errorRoutes = context == null && filter == null
        ? null
        : new Plan.ErrorRoutes(context == null ? null : now.resolve(context), filter == null ? null : now.resolve(filter));
    bindTargets(now);
  }

  abstract void bindTargets(Bindings now);

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

  /** Returns true for {@code percent} percent of calls, at random. */
  static boolean chance(double percent) {
    return percent >= 100 || percent > 0 && ThreadLocalRandom.current().nextDouble() * 100 < percent;
  }

  /** Returns {@code outer}, naming the inner route's decision when the target was a route. */
  static Routing nested(Routing outer, Routing inner) {
    if (inner.route().isEmpty()) {
      return outer;
    }
    return new Routing(
        outer.route().orElse(null), outer.policy(), outer.reason() + "; then route " + inner,
        inner.task().orElse(null), outer.keyHash().isPresent() ? outer.keyHash().getAsLong() : null);
  }

  UnknownModelException nothingBound(List<String> wanted) {
    return new UnknownModelException(
        "route '" + name + "' has no target registered now (it sends to " + String.join(", ", wanted)
            + "); register one of them",
        name, new ArrayList<>(wanted), null);
  }
}
