package io.modelmux.internal.registry;

import io.modelmux.ModelRef;
import io.modelmux.internal.guard.ModelGuard;
import io.modelmux.internal.memory.Residency;
import io.modelmux.internal.observe.LatencyWindow;
import io.modelmux.internal.observe.ModelMeters;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import java.time.Clock;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registration of a model: its spec and adapter, the order it was registered in, its request
 * counters, the memory scheduler's {@link Residency} of it and its {@link ModelGuard}. Each
 * piece of state has one owner: the registry owns the names that lead here, the scheduler owns
 * {@link #residency}, the guard stage {@link #guard}.
 */
public final class RegisteredModel {
  private static final Logger log = LoggerFactory.getLogger(RegisteredModel.class);

  public final ModelSpec spec;
  public final ModelRef ref;
  public final ModelAdapter adapter;
  /** Registration order, for stable listings. */
  public final long sequence;
  /** Requests served, successful or not. */
  public final LongAdder requests = new LongAdder();
  /** Requests that failed. */
  public final LongAdder failures = new LongAdder();
  /** Copies of requests a route's shadow sent here: counted apart from {@link #requests}. */
  public final LongAdder shadowRequests = new LongAdder();
  /** Shadow copies that failed. */
  public final LongAdder shadowFailures = new LongAdder();
  /** How it served: latencies, tokens, errors by type, cache answers, fallbacks (the request path's). */
  public final ModelMeters meters = new ModelMeters();
  /** The model's prices, or null: what its answers cost. */
  public final io.modelmux.spi.@Nullable Prices prices;
  /** What it spent this period against its spend limit, or null without one. */
  public final io.modelmux.internal.observe.@Nullable SpendBook spend;
  /** Recent latencies, for choosing the fastest model. */
  public final LatencyWindow latency = new LatencyWindow();
  /** Leases, residency and memory: the scheduler's. */
  public final Residency residency;
  /** Circuit breaker, retry and concurrency limit: the guard stage's. */
  public final ModelGuard guard;
  /**
   * The registrations {@code overflow_to} names lead to now, in order (a name that leads nowhere
   * is left out): bound by the router on each rebuild, read by the request path.
   */
  public volatile RegisteredModel[] overflow = NONE;

  private static final RegisteredModel[] NONE = new RegisteredModel[0];

  public RegisteredModel(ModelSpec spec, ModelAdapter adapter, long sequence, Clock clock) {
    this.spec = spec;
    this.ref = spec.ref();
    this.adapter = adapter;
    this.sequence = sequence;
    this.residency = new Residency(spec.pinned());
    this.prices = spec.prices().orElse(null);
    this.spend = spec.spendLimit()
        .map(l -> new io.modelmux.internal.observe.SpendBook(l, "model '" + spec.ref() + "'", spec.ref().id()))
        .orElse(null);
    this.guard = new ModelGuard(spec, clock, replicaBreakers(adapter).isEmpty());
  }

  /** Returns the breakers the adapter keeps per server; none when it fails to say. */
  public static java.util.Map<String, io.modelmux.spi.Breaker> replicaBreakers(ModelAdapter adapter) {
    try {
      java.util.Map<String, io.modelmux.spi.Breaker> m = adapter.replicaBreakers();
      return m == null ? java.util.Map.of() : m;
    } catch (RuntimeException e) {
      return java.util.Map.of();
    }
  }

  /** Returns the adapter's footprint; an adapter that fails to report one takes none. */
  public Footprint footprint() {
    try {
      return adapter.footprint();
    } catch (RuntimeException e) {
      log.warn("model {} failed to report its footprint", ref, spec.secrets().scrub(e));
      return Footprint.none();
    }
  }

  @Override
  public String toString() {
    return "RegisteredModel{" + ref + ", " + spec.type() + '}';
  }
}
