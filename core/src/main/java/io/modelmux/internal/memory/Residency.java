package io.modelmux.internal.memory;

import io.modelmux.MemoryStats;
import io.modelmux.ModelState;
import io.modelmux.Tier;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The memory scheduler's state of one registered model: its leases, whether it may take them,
 * where its weights are, what it is charged, and what eviction and keep-alive need to know.
 * Owned by the {@link MemoryScheduler}: other stages read it through the public methods.
 *
 * <p>Leases and residency share one atomic int: the low bits count leases, {@code READY} says
 * the model is loaded and may take requests, {@code HOLD} stops new leases while it is being
 * unloaded, and the sign bit {@code DRAINING} stops them for good (unregistered). A request on a
 * ready model takes its lease with one compare-and-set and no lock; the scheduler evicts only
 * with a compare-and-set from "ready, no leases", so a model is never evicted mid-request.
 * Fields marked "guarded by scheduler" are written under the scheduler's lock.
 */
public final class Residency {
  static final int DRAINING = Integer.MIN_VALUE;
  static final int READY = 1 << 30;
  static final int HOLD = 1 << 29;
  static final int LEASES = HOLD - 1;

  private final AtomicInteger state = new AtomicInteger();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();

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
  volatile Map<String, Long> charged = Map.of();
  /** What this registration's last load found, or null before one. */
  volatile @Nullable Learned learned;

  /** The bytes per pool a load found, and how (measured, counted or declared); one write, never torn. */
  record Learned(Map<String, Long> bytes, MemoryStats.Source source) {}
  @Nullable CompletableFuture<Void> loading;
  int loadWaiters;
  int pendingServes;
  long protectedUntilMillis;
  volatile long loads;
  volatile long evictions;
  volatile long loadCostNanos;
  volatile @Nullable Duration lastLoadTime;

  /** @param pinned whether the model starts pinned (its spec says so) */
  public Residency(boolean pinned) {
    this.pinned = pinned;
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

  /** Refuses new leases for good; {@link #drained()} completes when the last one returns. */
  public void startDraining() {
    int before = state.getAndUpdate(s -> s | DRAINING);
    if ((before & LEASES) == 0) {
      drained.complete(null);
    }
  }

  /** Completes when the model drained: draining began and no lease is left. */
  public CompletableFuture<Void> drained() {
    return drained;
  }

  /** Returns the leases held now: requests in flight. */
  public int inFlight() {
    return state.get() & LEASES;
  }

  /** Returns whether the model was unregistered and takes no new lease. */
  public boolean isDraining() {
    return state.get() < 0;
  }

  /** Returns the life-cycle state. */
  public ModelState state() {
    return isDraining() ? ModelState.DRAINING : loadState;
  }

  /** Returns where the weights are. */
  public Tier tier() {
    return tier;
  }

  /** Returns the bytes charged to each pool now. */
  public Map<String, Long> charged() {
    return charged;
  }

  long chargedBytes() {
    long sum = 0;
    for (long b : charged.values()) {
      sum += b;
    }
    return sum;
  }

  /** Returns whether the model is pinned: kept resident, never evicted. */
  public boolean pinned() {
    return pinned;
  }

  /** Returns how many times the model was loaded. */
  public long loads() {
    return loads;
  }

  /** Returns how many times the model was evicted or demoted. */
  public long evictions() {
    return evictions;
  }

  /** Returns how long the last load took, or null if never loaded. */
  public @Nullable Duration lastLoadTime() {
    return lastLoadTime;
  }

  /** Returns when the last request ended, in epoch milliseconds, or -1 if never. */
  public long lastUsedMillis() {
    return lastUsedMillis;
  }
}
