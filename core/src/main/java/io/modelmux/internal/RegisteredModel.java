package io.modelmux.internal;

import io.modelmux.ModelLoadException;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.ModelState;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registered model: its spec, its adapter, the count of requests holding it (leases), its
 * load state and its counters.
 *
 * <p>Leases are counted in one atomic int whose sign bit means "draining": once draining, no
 * new lease is granted, and the release that brings the count to zero completes
 * {@link #drained()}. Acquiring and releasing take no lock.
 */
final class RegisteredModel {
  private static final Logger log = LoggerFactory.getLogger(RegisteredModel.class);
  private static final int DRAINING = Integer.MIN_VALUE;

  final ModelSpec spec;
  final ModelRef ref;
  final ModelAdapter adapter;
  /** Registration order, for stable listings. */
  final long sequence;

  private final AtomicInteger leases = new AtomicInteger();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();
  private final Object loadLock = new Object();
  private volatile boolean loaded;
  private volatile ModelState loadState = ModelState.REGISTERED; // written under loadLock

  final LongAdder requests = new LongAdder();
  final LongAdder failures = new LongAdder();
  volatile long loads; // written under loadLock
  volatile long lastUsedMillis = -1;

  RegisteredModel(ModelSpec spec, ModelAdapter adapter, long sequence) {
    this.spec = spec;
    this.ref = spec.ref();
    this.adapter = adapter;
    this.sequence = sequence;
  }

  /** Takes a lease unless the model is draining. */
  boolean tryAcquire() {
    for (; ; ) {
      int s = leases.get();
      if (s < 0) {
        return false;
      }
      if (leases.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  /** Returns a lease. */
  void release() {
    if (leases.decrementAndGet() == DRAINING) {
      drained.complete(null);
    }
  }

  /** Refuses new leases from now on; {@link #drained()} completes when the last one returns. */
  void startDraining() {
    int before = leases.getAndUpdate(s -> s | DRAINING);
    if (before == 0 || before == DRAINING) {
      drained.complete(null);
    }
  }

  CompletableFuture<Void> drained() {
    return drained;
  }

  int inFlight() {
    return leases.get() & ~DRAINING;
  }

  boolean isDraining() {
    return leases.get() < 0;
  }

  ModelState state() {
    return isDraining() ? ModelState.DRAINING : loadState;
  }

  /**
   * Loads the adapter if it is not loaded. Concurrent callers wait for one load (single flight).
   *
   * @throws ModelMuxException if the load fails; the next call tries again
   */
  void ensureLoaded() {
    if (loaded) {
      return;
    }
    synchronized (loadLock) {
      if (loaded) {
        return;
      }
      loadState = ModelState.LOADING;
      long start = System.nanoTime();
      try {
        adapter.load();
      } catch (ModelMuxException e) {
        loadState = ModelState.FAILED;
        throw e;
      } catch (RuntimeException | LinkageError e) {
        loadState = ModelState.FAILED;
        throw new ModelLoadException(
            "model '" + ref + "' failed to load: " + e
                + "; check its files and settings, then retry",
            ref.id(),
            e);
      }
      loads++;
      loaded = true;
      loadState = ModelState.LOADED;
      log.debug("loaded model {} in {} ms", ref, (System.nanoTime() - start) / 1_000_000);
    }
  }

  Footprint footprint() {
    try {
      return adapter.footprint();
    } catch (RuntimeException e) {
      log.warn("model {} failed to report its footprint", ref, e);
      return Footprint.none();
    }
  }

  /** Closes the adapter; called once, after draining. */
  void close() {
    synchronized (loadLock) {
      loaded = false;
      loadState = ModelState.REGISTERED;
      try {
        adapter.close();
      } catch (RuntimeException e) {
        log.warn("model {} failed to close cleanly", ref, e);
      }
    }
  }
}
