package io.modelmux.internal.route;

import io.modelmux.ConfigException;
import io.modelmux.GenerateRequest;
import io.modelmux.RouteConfig;
import io.modelmux.RouteStatus;
import io.modelmux.internal.registry.ModelRegistry;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.TaskClassifier;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Turns a request into a {@link Plan}. Every name a request may use — an id, an {@code
 * id@version}, an alias, a route — maps to its {@link Planner} in one immutable snapshot,
 * rebuilt whenever the registry or the routes change and published through a volatile field:
 * planning a plain model name is one map lookup, without a lock or an allocation; a route decides
 * per request. Thread-safe.
 */
public final class Router {
  /** Everything planning needs, immutable. */
  private static final class Snapshot {
    final Map<String, Planner> byName;
    final @Nullable Planner defaultPlanner;

    Snapshot(Map<String, Planner> byName, @Nullable Planner defaultPlanner) {
      this.byName = byName;
      this.defaultPlanner = defaultPlanner;
    }
  }

  private final ModelRegistry registry;
  private final Clock clock;
  private final RouteEvents events;
  private final TaskClassifier classifier;
  private final Object lock = new Object();
  // guarded by lock: one plan per registration, reused across rebuilds
  private final Map<RegisteredModel, Plan> direct = new IdentityHashMap<>();
  // guarded by lock
  private final Map<String, Route> routes = new LinkedHashMap<>();
  private volatile Set<String> routeNames = Set.of();
  private volatile Snapshot snapshot = new Snapshot(Map.of(), null);

  /**
   * Creates the router of {@code registry} and keeps it in step with the registry's changes.
   *
   * @param clock for canary windows
   * @param events where route events go
   * @param classifier names the task of requests to {@code auto} routes
   */
  public Router(ModelRegistry registry, Clock clock, RouteEvents events, TaskClassifier classifier) {
    this.registry = registry;
    this.clock = clock;
    this.events = events;
    this.classifier = classifier;
    registry.reserveNames(this::isRoute);
    registry.onChange(this::rebuild);
  }

  /**
   * Returns the plan for {@code request}.
   *
   * @throws io.modelmux.UnknownModelException if the request names nothing known
   * @throws io.modelmux.InvalidRequestException if it names no model and no default is set
   */
  public Plan plan(GenerateRequest request) {
    Snapshot s = snapshot;
    String name = request.model().orElse(null);
    Planner planner = name == null ? s.defaultPlanner : s.byName.get(name);
    if (planner == null) {
      throw name == null ? registry.noDefault() : registry.unknown(name, routeNames);
    }
    return planner.plan(request);
  }

  /** Returns the plan that sends a request to {@code model} itself, with no route. */
  public Plan direct(RegisteredModel model) {
    return Plan.direct(model);
  }

  /** Returns the names of the routes. */
  public Set<String> routeNames() {
    return routeNames;
  }

  /** Returns whether {@code name} is a route. */
  public boolean isRoute(String name) {
    return routeNames.contains(name);
  }

  /**
   * Sets the routes, replacing any before, after checking them: names unique and unlike any
   * model id or alias, every target, fallback and shadow a model, alias or route, no route its own fallback, no shadow to the route
   * itself or its own target, no cycle of routes.
   *
   * @throws ConfigException naming the route and what is wrong, and listing what is known
   */
  public void setRoutes(List<RouteConfig> configs) {
    synchronized (lock) {
      ModelRegistry.Snapshot models = registry.snapshot();
      Map<String, RouteConfig> byName = new LinkedHashMap<>();
      for (RouteConfig c : configs) {
        if (byName.put(c.name(), c) != null) {
          throw new ConfigException("route '" + c.name() + "' is defined twice; give each route its own name");
        }
        if (models.byName.containsKey(c.name()) || models.aliases.containsKey(c.name())) {
          throw new ConfigException(
              "route '" + c.name() + "' has the name of a model or an alias; route names share their namespace, so rename it");
        }
      }
      for (RouteConfig c : byName.values()) {
        List<String> wanted = new ArrayList<>(c.targets());
        c.shadow().ifPresent(s -> wanted.add(s.model()));
        for (String t : wanted) {
          if (!models.byName.containsKey(t) && !byName.containsKey(t)) {
            throw new ConfigException(
                "route '" + c.name() + "' sends to " + MessageText.quote(t) + ", which is not a model, an alias or a route; known: "
                    + known(models, byName.keySet()));
          }
        }
        List<String> errorRoutes = new ArrayList<>();
        c.onContextLength().ifPresent(errorRoutes::add);
        c.onContentFilter().ifPresent(errorRoutes::add);
        for (String f : errorRoutes) {
          if (f.equals(c.name())) {
            throw new ConfigException("route '" + c.name() + "' sends a failed request back to itself; name another model or route");
          }
          if (!models.byName.containsKey(f) && !byName.containsKey(f)) {
            throw new ConfigException(
                "route '" + c.name() + "' sends failed requests to " + MessageText.quote(f)
                    + ", which is not a model, an alias or a route; known: " + known(models, byName.keySet()));
          }
        }
        for (String f : c.fallbacks()) {
          if (f.equals(c.name())) {
            throw new ConfigException("route '" + c.name() + "' lists itself as a fallback; list other models or routes");
          }
          if (!models.byName.containsKey(f) && !byName.containsKey(f)) {
            throw new ConfigException(
                "route '" + c.name() + "' falls back to " + MessageText.quote(f) + ", which is not a model, an alias or a route; known: "
                    + known(models, byName.keySet()));
          }
        }
        if (c.shadow().isPresent()) {
          String shadow = c.shadow().get().model();
          if (shadow.equals(c.name()) || c.targets().contains(shadow)) {
            throw new ConfigException(
                "route '" + c.name() + "' shadows to " + MessageText.quote(shadow) + ", which it already sends to; shadow to another model");
          }
        }
      }
      List<String> cycle = RouteGraph.cycle(byName.values());
      if (cycle != null) {
        throw new ConfigException("routes form a cycle: " + String.join(" -> ", cycle) + "; a route must not lead back to itself");
      }
      // a route given its own config object back (retarget passes the others' that way) keeps
      // its state: a canary's windows and verdict, a shadow's slots and counts; the new
      // snapshot is published once
      Map<String, Route> next = new LinkedHashMap<>();
      for (RouteConfig c : byName.values()) {
        Route old = routes.get(c.name());
        next.put(c.name(), old != null && old.config == c ? old : create(c));
      }
      routes.clear();
      routes.putAll(next);
      routeNames = Set.copyOf(routes.keySet());
      rebuild(models);
    }
  }

  private Route create(RouteConfig c) {
    switch (c.policy()) {
      case CANARY:
        return new CanaryRoute(c, clock, events);
      case AUTO:
        return new AutoRoute(c, classifier);
      default:
        return new SplitRoute(c);
    }
  }

  private static String known(ModelRegistry.Snapshot models, Set<String> routeNames) {
    TreeSet<String> names = new TreeSet<>(models.byName.keySet());
    names.addAll(routeNames);
    return names.isEmpty() ? "nothing" : MessageText.clip(String.join(", ", names));
  }

  // ---- switching, promoting, rolling back ----------------------------------------------------

  /** Returns the one target of route {@code name}, if it is a split of one. */
  public Optional<String> singleTarget(String name) {
    synchronized (lock) {
      Route r = routes.get(name);
      if (r == null || r.config.policy() != RouteConfig.Policy.SPLIT || r.config.split().size() != 1) {
        return Optional.empty();
      }
      return Optional.of(r.config.split().keySet().iterator().next());
    }
  }

  /**
   * Points route {@code name} (a split of one) at {@code target}, in one publication. The other
   * routes keep their state; this one starts its counts afresh, with its shadow and fallbacks.
   */
  public void retarget(String name, String target) {
    synchronized (lock) {
      Route old = routes.get(name);
      if (old == null) {
        throw new IllegalArgumentException("no route '" + name + "'");
      }
      RouteConfig.Builder b = RouteConfig.builder(name).target(target).fallbacks(old.config.fallbacks());
      old.config.shadow().ifPresent(b::shadow);
      old.config.onContextLength().ifPresent(b::onContextLength);
      old.config.onContentFilter().ifPresent(b::onContentFilter);
      List<RouteConfig> all = new ArrayList<>();
      for (Route r : routes.values()) {
        all.add(r == old ? b.build() : r.config);
      }
      setRoutes(all);
    }
  }

  /**
   * Sends all of canary route {@code name}'s traffic to the canary.
   *
   * @throws IllegalArgumentException if {@code name} is not a canary route
   */
  public void promote(String name) {
    CanaryRoute c = canary(name);
    if (c == null) {
      throw new IllegalArgumentException(
          isRoute(name) ? "route '" + name + "' is not a canary route" : "no route '" + name + "'; routes: " + routeNames);
    }
    c.promote();
  }

  /** Sends all of canary route {@code name}'s traffic to the stable model; false if it is not a canary route. */
  public boolean rollbackCanary(String name) {
    CanaryRoute c = canary(name);
    if (c == null) {
      return false;
    }
    c.rollback();
    return true;
  }

  private @Nullable CanaryRoute canary(String name) {
    synchronized (lock) {
      Route r = routes.get(name);
      return r instanceof CanaryRoute ? (CanaryRoute) r : null;
    }
  }

  /** Returns each route's state, in the order defined. */
  public List<RouteStatus> routes(Map<String, String> previous) {
    synchronized (lock) {
      List<RouteStatus> out = new ArrayList<>();
      for (Route r : routes.values()) {
        out.add(r.status(previous.get(r.name)));
      }
      return out;
    }
  }

  /** Returns each route's name and live figures, in the order defined. */
  public Map<String, io.modelmux.internal.observe.RouteMeters> routeMeters() {
    synchronized (lock) {
      Map<String, io.modelmux.internal.observe.RouteMeters> out = new LinkedHashMap<>();
      routes.forEach((name, r) -> out.put(name, r.meters));
      return out;
    }
  }

  /** Returns each route's figures, in the order defined. */
  public List<io.modelmux.RouteMetrics> routeMetrics() {
    synchronized (lock) {
      List<io.modelmux.RouteMetrics> out = new ArrayList<>();
      for (Route r : routes.values()) {
        out.add(r.meters.metrics());
      }
      return out;
    }
  }

  // ---- the snapshot ----------------------------------------------------------------------------

  private void rebuild(ModelRegistry.Snapshot models) {
    synchronized (lock) {
      direct.keySet().retainAll(new HashSet<>(models.models));
      Map<String, Planner> byName = new HashMap<>();
      models.byName.forEach((name, model) -> byName.put(name, direct.computeIfAbsent(model, Plan::direct)));
      byName.putAll(routes);
      Map<String, Planner> names = Collections.unmodifiableMap(byName); // a HashMap: Map.copyOf probes linearly and clustered
      Map<String, List<RegisteredModel>> byTag = new HashMap<>();
      for (RegisteredModel m : models.models) {
        for (String tag : m.spec.tags()) {
          byTag.computeIfAbsent(tag, t -> new ArrayList<>()).add(m);
        }
      }
      byTag.replaceAll((tag, list) -> List.copyOf(list));
      for (RegisteredModel m : models.models) { // overflow_to, bound to what the names lead to now
        List<String> overflowNames = m.spec.overflowTo();
        if (!overflowNames.isEmpty()) {
          List<RegisteredModel> bound = new ArrayList<>(overflowNames.size());
          for (String n : overflowNames) {
            RegisteredModel target = models.byName.get(n);
            if (target != null && target != m && !bound.contains(target)) {
              bound.add(target);
            }
          }
          m.overflow = bound.toArray(new RegisteredModel[0]);
        }
      }
      Route.Bindings now =
          new Route.Bindings(names, Map.copyOf(byTag), models.defaultModel == null ? null : direct.get(models.defaultModel));
      for (Route r : routes.values()) {
        r.bind(now);
      }
      snapshot = new Snapshot(names, models.defaultName == null ? null : names.get(models.defaultName));
    }
  }
}
