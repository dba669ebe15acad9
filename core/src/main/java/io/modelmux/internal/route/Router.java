package io.modelmux.internal.route;

import io.modelmux.GenerateRequest;
import io.modelmux.internal.registry.ModelRegistry;
import io.modelmux.internal.registry.RegisteredModel;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Turns a request into a {@link Plan}. Every name a request may use (an id, an {@code
 * id@version}, an alias) maps to its plan in one immutable snapshot, rebuilt whenever the
 * registry changes and published through a volatile field: planning a request is one map
 * lookup, without a lock or an allocation. Thread-safe.
 */
public final class Router {
  /** Everything planning needs, immutable. */
  private static final class Snapshot {
    final Map<String, Plan> byName;
    final @Nullable Plan defaultPlan;

    Snapshot(Map<String, Plan> byName, @Nullable Plan defaultPlan) {
      this.byName = byName;
      this.defaultPlan = defaultPlan;
    }
  }

  private final ModelRegistry registry;
  private final Object lock = new Object();
  // guarded by lock: one plan per registration, reused across rebuilds
  private final Map<RegisteredModel, Plan> direct = new IdentityHashMap<>();
  private volatile Snapshot snapshot = new Snapshot(Map.of(), null);

  /** Creates the router of {@code registry} and keeps it in step with the registry's changes. */
  public Router(ModelRegistry registry) {
    this.registry = registry;
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
    Plan plan = name == null ? s.defaultPlan : s.byName.get(name);
    if (plan == null) {
      throw name == null ? registry.noDefault() : registry.unknown(name);
    }
    return plan;
  }

  private void rebuild(ModelRegistry.Snapshot models) {
    synchronized (lock) {
      direct.keySet().retainAll(new java.util.HashSet<>(models.models));
      Map<String, Plan> byName = new HashMap<>();
      models.byName.forEach((name, model) -> byName.put(name, direct.computeIfAbsent(model, Plan::direct)));
      Plan defaultPlan = models.defaultModel == null ? null : direct.computeIfAbsent(models.defaultModel, Plan::direct);
      snapshot = new Snapshot(Map.copyOf(byName), defaultPlan);
    }
  }
}
