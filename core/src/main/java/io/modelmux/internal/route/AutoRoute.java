package io.modelmux.internal.route;

import io.modelmux.GenerateRequest;
import io.modelmux.InvalidRequestException;
import io.modelmux.RouteConfig;
import io.modelmux.Routing;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.spi.Prices;
import io.modelmux.spi.TaskClassifier;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Automatic selection: the {@link TaskClassifier} names the request's task, and among the models
 * tagged with it the route's preference chooses — the lowest median latency of recent requests
 * (a model that has not served yet is tried first, so that it gets a latency), the lowest price,
 * or the highest priority. A request whose task no model is tagged for goes to the default
 * model; when the default is a route (which could lead back here) it fails, saying so.
 * Thread-safe.
 */
final class AutoRoute extends Route {
  private static final Logger log = LoggerFactory.getLogger(AutoRoute.class);

  private final RouteConfig.Preference prefer;
  private final TaskClassifier classifier;
  private volatile Bindings bound = new Bindings(Map.of(), Map.of(), null);

  AutoRoute(RouteConfig config, TaskClassifier classifier) {
    super(config);
    this.prefer = config.prefer().orElseThrow();
    this.classifier = classifier;
  }

  /** Binds the candidates: every registered model by its tags, and the default model. */
  @Override
  void bindTargets(Bindings now) {
    bound = now;
  }

  @Override
  Plan choose(GenerateRequest request) {
    String task = classify(request);
    Bindings b = bound;
    List<RegisteredModel> candidates = task == null ? List.of() : b.byTag.getOrDefault(task, List.of());
    if (candidates.isEmpty()) {
      Planner f = b.defaultModel;
      if (f == null) {
        throw new InvalidRequestException(
            "route '" + name + "' found " + (task == null ? "no task" : "the task '" + task + "'")
                + " in the request, no model is tagged for it and the default is no model; tag a model with tags: ["
                + (task == null ? "chat" : task) + "] or set default_model to a model (not a route)",
            name, null);
      }
      Plan inner = f.plan(request);
      String why = task == null ? "no task recognised" : "no model is tagged '" + task + "'";
      return inner.routed(new Routing(name, Routing.Policy.AUTO, "auto: " + why + "; the default model", task), null);
    }
    RegisteredModel chosen = candidates.get(0);
    String why;
    switch (prefer) {
      case LATENCY:
        chosen = fastest(candidates);
        long median = chosen.latency.median();
        why = median < 0
            ? "it has not served yet, so it is measured first"
            : String.format("lowest median latency %.1f ms", median / 1e6);
        break;
      case PRICE:
        chosen = cheapest(candidates);
        why = chosen.spec.prices().map(p -> "lowest price " + (p.inputPerMillionTokens() + p.outputPerMillionTokens()) + " per million tokens in and out").orElse("no model has a price: the first");
        break;
      default:
        chosen = highestPriority(candidates);
        why = "highest priority " + chosen.spec.priority();
        break;
    }
    Routing routing =
        new Routing(
            name, Routing.Policy.AUTO,
            "auto: task '" + task + "' -> " + chosen.ref + " (" + why + ", of " + candidates.size() + " tagged)", task);
    return Plan.direct(chosen).routed(routing, null);
  }

  private @Nullable String classify(GenerateRequest request) {
    try {
      Optional<String> task = classifier.classify(request);
      return task == null ? null : task.orElse(null);
    } catch (RuntimeException e) {
      log.warn("task classifier {} failed; the request goes to the default model", classifier, e);
      return null;
    }
  }

  private static RegisteredModel fastest(List<RegisteredModel> candidates) {
    RegisteredModel best = null;
    long bestMedian = Long.MAX_VALUE;
    for (RegisteredModel m : candidates) {
      long median = m.latency.median();
      if (median < 0) {
        return m; // never measured: try it, so that it gets a latency
      }
      if (median < bestMedian) {
        bestMedian = median;
        best = m;
      }
    }
    return best;
  }

  private static RegisteredModel cheapest(List<RegisteredModel> candidates) {
    RegisteredModel best = candidates.get(0);
    double bestPrice = Double.MAX_VALUE;
    for (RegisteredModel m : candidates) {
      Optional<Prices> p = m.spec.prices();
      double price = p.map(x -> x.inputPerMillionTokens() + x.outputPerMillionTokens()).orElse(Double.MAX_VALUE);
      if (price < bestPrice) {
        bestPrice = price;
        best = m;
      }
    }
    return best;
  }

  private static RegisteredModel highestPriority(List<RegisteredModel> candidates) {
    RegisteredModel best = candidates.get(0);
    for (RegisteredModel m : candidates) {
      if (m.spec.priority() > best.spec.priority()) {
        best = m;
      }
    }
    return best;
  }

  @Override
  Map<String, Double> shares() {
    return Map.of();
  }
}
