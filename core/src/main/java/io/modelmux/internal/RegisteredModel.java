package io.modelmux.internal;

import io.modelmux.ModelRef;
import io.modelmux.ModelState;
import io.modelmux.Tier;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registered model: its spec and adapter, its lease count and residency, and its counters.
 *
 * <p>Leases and residency share one atomic int: the low bits count leases, {@code READY} says
 * the model is loaded and may take requests, {@code HOLD} stops new leases while it is being
 * unloaded, and the sign bit {@code DRAINING} stops them for good (unregistered). A request on
 * a ready model takes its lease with one compare-and-set and no lock; the scheduler evicts only
 * with a compare-and-set from "ready, no leases", so a model is never evicted mid-request.
 * Fields marked "guarded by scheduler" are written under the {@link MemoryScheduler}'s lock.
 */
final class RegisteredModel {
  private static final Logger log = LoggerFactory.getLogger(RegisteredModel.class);
  static final int DRAINING = Integer.MIN_VALUE;
  static final int READY = 1 << 30;
  static final int HOLD = 1 << 29;
  static final int LEASES = HOLD - 1;

  final ModelSpec spec;
  final ModelRef ref;
  final ModelAdapter adapter;
  /** Registration order, for stable listings. */
  final long sequence;

  private final AtomicInteger state = new AtomicInteger();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();

  final LongAdder requests = new LongAdder();
  final LongAdder failures = new LongAdder();
  // Written on every request without a fence: the scheduler reads them under its lock for
  // eviction order and keep-alive, where a value a few nanoseconds stale does no harm. The
  // access count is approximate for the same reason (a lost increment under a race).
  long accesses;
  long lastAccessNanos = System.nanoTime();
  double clockAtAccess;
  volatile long lastUsedMillis = -1;
  volatile boolean pinned;
  /** The model's keep-alive in milliseconds (negative: forever), cached by the scheduler. */
  long keepAliveMillis = Long.MIN_VALUE;

  // guarded by scheduler
  volatile Tier tier = Tier.COLD;
  volatile ModelState loadState = ModelState.REGISTERED;
  Map<String, Long> charged = Map.of();
  /** The bytes per pool measured at this registration's last load, or null before one. */
  @Nullable Map<String, Long> learned;
  @Nullable CompletableFuture<Void> loading;
  int loadWaiters;
  int pendingServes;
  long protectedUntilMillis;
  volatile long loads;
  volatile long evictions;
  volatile long loadCostNanos;
  volatile @Nullable Duration lastLoadTime;

  RegisteredModel(ModelSpec spec, ModelAdapter adapter, long sequence) {
    this.spec = spec;
    this.ref = spec.ref();
    this.adapter = adapter;
    this.sequence = sequence;
    this.pinned = spec.pinned();
  }

  /** Takes a lease if the model is ready and not held or draining. Lock-free. */
  boolean tryLease() {
    for (; ; ) {
      int s = state.get();
      if ((s & (DRAINING | READY | HOLD)) != READY) {
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  /**
   * Returns a lease.
   *
   * @return whether it was the last one (the model is now idle)
   */
  boolean release() {
    int s = state.decrementAndGet();
    if ((s & LEASES) != 0) {
      return false;
    }
    if (s < 0) {
      drained.complete(null);
    }
    return true;
  }

  /** Marks the model loaded: requests may lease it. */
  void setReady() {
    state.updateAndGet(s -> s | READY);
  }

  /** Takes READY away if no lease is held, so that the caller may unload it. */
  boolean tryRetire() {
    for (; ; ) {
      int s = state.get();
      if ((s & READY) == 0 || (s & LEASES) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s & ~(READY | HOLD))) {
        return true;
      }
    }
  }

  void hold(boolean on) {
    state.updateAndGet(s -> on ? s | HOLD : s & ~HOLD);
  }

  boolean isHeld() {
    return (state.get() & HOLD) != 0;
  }

  boolean isReady() {
    return (state.get() & READY) != 0;
  }

  /** Refuses new leases for good; {@link #drained()} completes when the last one returns. */
  void startDraining() {
    int before = state.getAndUpdate(s -> s | DRAINING);
    if ((before & LEASES) == 0) {
      drained.complete(null);
    }
  }

  CompletableFuture<Void> drained() {
    return drained;
  }

  int inFlight() {
    return state.get() & LEASES;
  }

  boolean isDraining() {
    return state.get() < 0;
  }

  ModelState state() {
    return isDraining() ? ModelState.DRAINING : loadState;
  }

  long chargedBytes() {
    long sum = 0;
    for (long b : charged.values()) {
      sum += b;
    }
    return sum;
  }

  Footprint footprint() {
    try {
      return adapter.footprint();
    } catch (RuntimeException e) {
      log.warn("model {} failed to report its footprint", ref, e);
      return Footprint.none();
    }
  }
}
