package io.modelmux.internal.route;

import io.modelmux.GenerateRequest;
import io.modelmux.RouteConfig;
import io.modelmux.Routing;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A weighted split (or a single target). With a routing key the target comes from weighted
 * rendezvous hashing of the key, so the same key keeps its target while the weights stand; without
 * one, a random draw by weight. Everything a request needs is precomputed in the binding: the
 * cumulative weights, each target's hash seed and its {@link Routing}, so that a choice costs a
 * draw (or a hash and a logarithm per target) and one small allocation.
 */
final class SplitRoute extends Route {
  /** The targets bound now, immutable. */
  private static final class Bound {
    final String[] names;
    final Planner[] planners;
    final int[] weights;
    final long[] cumulative;
    final long[] seeds;
    final Routing[] drawn;
    final String[] stickyReasons;
    final long total;

    Bound(List<String> names, List<Planner> planners, List<Integer> weights, String route) {
      int n = names.size();
      this.names = names.toArray(new String[0]);
      this.planners = planners.toArray(new Planner[0]);
      this.weights = new int[n];
      this.cumulative = new long[n];
      this.seeds = new long[n];
      this.drawn = new Routing[n];
      this.stickyReasons = new String[n];
      long sum = 0;
      for (int i = 0; i < n; i++) {
        this.weights[i] = weights.get(i);
        sum += this.weights[i];
        this.cumulative[i] = sum;
        this.seeds[i] = RendezvousHash.hash(this.names[i]);
      }
      this.total = sum;
      for (int i = 0; i < n; i++) {
        String share = " (weight " + this.weights[i] + " of " + sum + ")";
        this.drawn[i] =
            n == 1
                ? new Routing(route, Routing.Policy.SPLIT, "route target " + this.names[i], null)
                : new Routing(route, Routing.Policy.SPLIT, "split: drew " + this.names[i] + share, null);
        this.stickyReasons[i] = "sticky: routing key's hash chose " + this.names[i] + share;
      }
    }
  }

  private volatile @Nullable Bound bound;

  SplitRoute(RouteConfig config) {
    super(config);
  }

  @Override
  void bindTargets(Bindings now) {
    List<String> names = new ArrayList<>();
    List<Planner> planners = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    config.split().forEach(
        (target, weight) -> {
          Planner p = now.resolve(target);
          if (p != null) {
            names.add(target);
            planners.add(p);
            weights.add(weight);
          }
        });
    bound = names.isEmpty() ? null : new Bound(names, planners, weights, name);
  }

  @Override
  Plan choose(GenerateRequest request) {
    Bound b = bound;
    if (b == null) {
      throw nothingBound(config.targets());
    }
    String key = request.routingKey().orElse(null);
    int i;
    Routing routing;
    if (b.names.length == 1) {
      i = 0;
      routing = b.drawn[0];
    } else if (key != null) {
      long hash = RendezvousHash.hash(key);
      i = RendezvousHash.choose(hash, b.seeds, b.weights);
      routing = new Routing(name, Routing.Policy.STICKY, b.stickyReasons[i], null, hash);
    } else {
      long draw = ThreadLocalRandom.current().nextLong(b.total);
      i = 0;
      while (draw >= b.cumulative[i]) {
        i++;
      }
      routing = b.drawn[i];
    }
    Plan inner = b.planners[i].plan(request);
    return inner.routed(nested(routing, inner.routing()), null);
  }

  @Override
  Map<String, Double> shares() {
    Map<String, Double> shares = new LinkedHashMap<>();
    Bound b = bound;
    if (b != null) {
      for (int i = 0; i < b.names.length; i++) {
        shares.put(b.names[i], (double) b.weights[i] / b.total);
      }
    }
    return shares;
  }
}
