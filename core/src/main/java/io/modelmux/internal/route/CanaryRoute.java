package io.modelmux.internal.route;

import io.modelmux.GenerateRequest;
import io.modelmux.RouteConfig;
import io.modelmux.RouteEvent;
import io.modelmux.RouteStatus;
import io.modelmux.Routing;
import io.modelmux.internal.observe.OutcomeWindow;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A canary: a share of the route's traffic goes to the canary model, the rest to the stable one;
 * a request with a routing key keeps its side (its key's bucket decides). Each side's outcomes go
 * into a sliding window; once both sides have enough, the canary is rolled back (its share set
 * to zero, an event published, one WARN line with the numbers) when its error rate or its p95
 * latency crosses the configured threshold. {@code promote} sends everything to the canary,
 * {@code rollback} everything to the stable model. Thread-safe.
 */
final class CanaryRoute extends Route {
  private static final Logger log = LoggerFactory.getLogger(CanaryRoute.class);

  /** The canary's state and why it is in it. */
  private record State(RouteStatus.CanaryStatus.State state, @Nullable String reason) {}

  private final RouteConfig.Canary canary;
  private final Clock clock;
  private final RouteEvents events;
  private final OutcomeWindow stableWindow;
  private final OutcomeWindow canaryWindow;
  private final Plan.Recorder stableRecorder;
  private final Plan.Recorder canaryRecorder;
  private final AtomicReference<State> state = new AtomicReference<>(new State(RouteStatus.CanaryStatus.State.RUNNING, null));
  private final Routing toStable;
  private final Routing toCanary;
  private volatile @Nullable Planner stable;
  private volatile @Nullable Planner canaryTarget;

  CanaryRoute(RouteConfig config, Clock clock, RouteEvents events) {
    super(config);
    this.canary = config.canary().orElseThrow();
    this.clock = clock;
    this.events = events;
    this.stableWindow = new OutcomeWindow(canary.window(), clock);
    this.canaryWindow = new OutcomeWindow(canary.window(), clock);
    this.stableRecorder = (failed, nanos) -> stableWindow.record(failed, nanos);
    this.canaryRecorder =
        (failed, nanos) -> {
          canaryWindow.record(failed, nanos);
          judge();
        };
    String share = String.format(Locale.ROOT, "%s%%", trim(canary.percent()));
    this.toStable = new Routing(name, Routing.Policy.CANARY, "canary: stable " + canary.stable() + " (canary " + canary.canary() + " at " + share + ")", null);
    this.toCanary = new Routing(name, Routing.Policy.CANARY, "canary: " + canary.canary() + " at " + share + " (stable " + canary.stable() + ")", null);
  }

  @Override
  void bindTargets(Bindings now) {
    stable = now.resolve(canary.stable());
    canaryTarget = now.resolve(canary.canary());
  }

  /** Returns the canary's share now, 0 to 100. */
  double percent() {
    switch (state.get().state()) {
      case ROLLED_BACK:
        return 0;
      case PROMOTED:
        return 100;
      default:
        return canary.percent();
    }
  }

  @Override
  Plan choose(GenerateRequest request) {
    Planner s = stable;
    Planner c = canaryTarget;
    double p = percent();
    String key = request.routingKey().orElse(null);
    boolean toCanaryNow;
    Long hash = null;
    if (key != null) {
      hash = RendezvousHash.hash(key);
      toCanaryNow = RendezvousHash.bucket(hash) < p * 100;
    } else {
      toCanaryNow = chance(p);
    }
    if (c == null) {
      toCanaryNow = false; // the canary is not registered now: everything to the stable side
    } else if (s == null) {
      toCanaryNow = true;
    }
    Planner target = toCanaryNow ? c : s;
    if (target == null) {
      throw nothingBound(config.targets());
    }
    Routing routing = toCanaryNow ? toCanary : toStable;
    if (hash != null) {
      routing = new Routing(name, Routing.Policy.CANARY, routing.reason() + " by the routing key's bucket", null, hash);
    }
    Plan inner = target.plan(request);
    return inner.routed(nested(routing, inner.routing()), toCanaryNow ? canaryRecorder : stableRecorder);
  }

  /** Rolls the canary back when its numbers crossed a threshold; once. */
  private void judge() {
    State running = state.get();
    if (running.state() != RouteStatus.CanaryStatus.State.RUNNING) {
      return;
    }
    OutcomeWindow.Stats st = stableWindow.stats();
    OutcomeWindow.Stats ca = canaryWindow.stats();
    if (st.requests() < canary.minRequests() || ca.requests() < canary.minRequests()) {
      return;
    }
    String reason = null;
    double excess = ca.errorRate() - st.errorRate();
    if (excess > canary.maxErrorRateIncrease()) {
      reason = String.format(
          Locale.ROOT,
          "error rate %.1f%% is %.1f points above the stable model's %.1f%% (threshold %.1f points)",
          100 * ca.errorRate(), 100 * excess, 100 * st.errorRate(), 100 * canary.maxErrorRateIncrease());
    } else if (st.p95Millis() > 0 && ca.p95Millis() > canary.maxLatencyRatio() * st.p95Millis()) {
      reason = String.format(
          Locale.ROOT,
          "p95 latency %.0f ms is %.2f times the stable model's %.0f ms (threshold %.2f times)",
          ca.p95Millis(), ca.p95Millis() / st.p95Millis(), st.p95Millis(), canary.maxLatencyRatio());
    }
    if (reason == null) {
      return;
    }
    String full =
        reason + ", over " + ca.requests() + " canary and " + st.requests() + " stable requests in the last " + canary.window();
    if (state.compareAndSet(running, new State(RouteStatus.CanaryStatus.State.ROLLED_BACK, full))) {
      log.warn("route {}: rolled back canary {} to {}: {}", name, canary.canary(), canary.stable(), full);
      events.publish(new RouteEvent(RouteEvent.Type.CANARY_ROLLED_BACK, name, canary.canary(), canary.stable(), full, clock.instant()));
    }
  }

  /** Sends all traffic to the canary. */
  void promote() {
    state.set(new State(RouteStatus.CanaryStatus.State.PROMOTED, "promoted on request"));
    events.publish(new RouteEvent(RouteEvent.Type.CANARY_PROMOTED, name, canary.stable(), canary.canary(), "promoted on request", clock.instant()));
  }

  /** Sends all traffic to the stable model. */
  void rollback() {
    state.set(new State(RouteStatus.CanaryStatus.State.ROLLED_BACK, "rolled back on request"));
    events.publish(new RouteEvent(RouteEvent.Type.CANARY_ROLLED_BACK, name, canary.canary(), canary.stable(), "rolled back on request", clock.instant()));
  }

  @Override
  Map<String, Double> shares() {
    Map<String, Double> shares = new LinkedHashMap<>();
    double p = percent() / 100;
    shares.put(canary.stable(), 1 - p);
    shares.put(canary.canary(), p);
    return shares;
  }

  @Override
  RouteStatus.CanaryStatus canaryStatus() {
    State s = state.get();
    return new RouteStatus.CanaryStatus(s.state(), percent(), window(stableWindow), window(canaryWindow), s.reason());
  }

  private static RouteStatus.WindowStats window(OutcomeWindow w) {
    OutcomeWindow.Stats s = w.stats();
    return new RouteStatus.WindowStats(s.requests(), s.errorRate(), s.p95Millis());
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }
}
