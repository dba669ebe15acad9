package io.modelmux.internal.memory;

import io.modelmux.DeadlineExceededException;
import io.modelmux.Hardware;
import io.modelmux.InsufficientMemoryException;
import io.modelmux.MemoryConfig;
import io.modelmux.MemoryStats;
import io.modelmux.ModelEvent;
import io.modelmux.ModelEventListener;
import io.modelmux.ModelLoadException;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.ModelState;
import io.modelmux.OverloadedException;
import io.modelmux.PoolStatus;
import io.modelmux.Tier;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.Accelerator;
import io.modelmux.spi.EvictionPolicy;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.TieredAdapter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unified-memory scheduler: keeps models resident inside the budgets of their memory pools.
 *
 * <p>Requests to a ready model never come here: they lease it lock-free. The slow path, under
 * one lock, admits a cold model (its expected footprint must fit the pool's budget, idle models
 * are demoted or evicted by the {@link EvictionPolicy} to make room), starts one load per model
 * (single flight, on a loader thread, outside the lock), or queues the request in a bounded FIFO
 * until memory frees or its deadline passes. Waiting is grouped by model: the model at the head
 * of the queue is the one admitted next, all its waiting requests share its load, and it is
 * protected from eviction until they have been served (or {@code maxProtect} passed), so two
 * models contending for one slot alternate in groups instead of thrashing.
 *
 * <p>Bookkeeping charges each model's expected footprint when its load starts and its measured
 * footprint once loaded; measured footprints are remembered per model and used as the estimate
 * of the next load, so an estimate that was wrong is corrected. The sum charged to a pool never
 * exceeds its budget at the end of any locked step.
 */
public final class MemoryScheduler {
  private static final Logger log = LoggerFactory.getLogger(MemoryScheduler.class);
  private static final AtomicInteger SCHEDULERS = new AtomicInteger();

  /** One pool of memory. */
  static final class Pool {
    final String name;
    final long budget;
    long used; // guarded by lock
    final Set<RegisteredModel> holders = new LinkedHashSet<>(); // guarded by lock

    Pool(String name, long budget) {
      this.name = name;
      this.budget = budget;
    }
  }

  /** One request waiting for memory. */
  private static final class Waiter {
    final RegisteredModel model;

    Waiter(RegisteredModel model) {
      this.model = model;
    }
  }

  private final Map<String, Pool> pools = new LinkedHashMap<>();
  private final boolean unified;
  private final String defaultPool;
  private final EvictionPolicy policy;
  private final int maxLoaded;
  private final Duration defaultKeepAlive;
  private final int maxQueued;
  private final Duration queueTimeout;
  private final Duration maxProtect;
  private final Clock clock;
  private final MemoryMeter meter;
  private final ExecutorService loader;
  private final java.util.concurrent.ScheduledExecutorService sweeper;
  private final List<ModelEventListener> listeners = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<ModelEvent> outbox = new ConcurrentLinkedQueue<>();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  // guarded by lock
  private final Set<RegisteredModel> resident = new LinkedHashSet<>();
  // guarded by lock
  private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
  private volatile int waiting;

  /**
   * Loads of models resident in the process are measured one at a time across the whole JVM (the
   * process's memory is one figure, whichever manager reads it): taken around load and warm-up.
   */
  private static final ReentrantLock MEASURING = new ReentrantLock(true);

  /**
   * Settings of the scheduler beyond the memory section.
   *
   * @param meter reads the process's memory to measure loads; {@link MemoryMeter#process()} by default
   */
  public record Settings(int maxQueued, Duration queueTimeout, Duration maxProtect, Duration sweepEvery, MemoryMeter meter) {
    public static final Settings DEFAULTS =
        new Settings(1024, Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofSeconds(1));

    /** Settings that measure loads with {@link MemoryMeter#process()}. */
    public Settings(int maxQueued, Duration queueTimeout, Duration maxProtect, Duration sweepEvery) {
      this(maxQueued, queueTimeout, maxProtect, sweepEvery, MemoryMeter.process());
    }

    /** Returns these settings with {@code meter}. */
    public Settings withMeter(MemoryMeter meter) {
      return new Settings(maxQueued, queueTimeout, maxProtect, sweepEvery, meter);
    }
  }

  public MemoryScheduler(
      MemoryConfig config,
      Hardware hardware,
      @Nullable EvictionPolicy policy,
      Settings settings,
      Clock clock) {
    this.clock = clock;
    this.unified = hardware.unified();
    this.policy = policy != null ? policy : EvictionPolicy.named(config.eviction());
    this.maxLoaded = config.maxLoadedModels().orElse(-1);
    this.defaultKeepAlive = config.keepAlive().orElse(Duration.ofMinutes(5));
    this.maxQueued = settings.maxQueued();
    this.queueTimeout = settings.queueTimeout();
    this.maxProtect = settings.maxProtect();
    this.meter = settings.meter();
    long host = hardware.hostMemoryBytes();
    if (unified) {
      defaultPool = Footprint.UNIFIED;
      addPool(Footprint.UNIFIED, host, config.pools().getOrDefault(Footprint.UNIFIED, config.budget().orElse(null)), 0.75, config);
    } else {
      defaultPool = Footprint.HOST;
      addPool(Footprint.HOST, host, config.pools().getOrDefault(Footprint.HOST, config.budget().orElse(null)), 0.75, config);
      for (Accelerator a : hardware.accelerators()) {
        addPool(a.device(), a.memoryBytes(), config.pools().get(a.device()), 0.9, config);
      }
    }
    for (Map.Entry<String, MemoryConfig.Amount> p : config.pools().entrySet()) {
      if (pools.containsKey(p.getKey())) {
        continue;
      }
      if (unified) {
        // read, and it cannot act: say so rather than let a budget pass for set
        log.warn("memory.pools.{} is ignored: this machine's CPU and GPU share one memory, whose one pool is"
            + " '{}'; give its budget as memory.pools.{} or memory.budget", p.getKey(), Footprint.UNIFIED, Footprint.UNIFIED);
      } else {
        addPool(p.getKey(), host, p.getValue(), 1.0, config);
      }
    }
    int id = SCHEDULERS.incrementAndGet();
    this.loader =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "modelmux-" + id + "-loader");
              t.setDaemon(true);
              return t;
            });
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "modelmux-" + id + "-keep-alive");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(1, settings.sweepEvery().toMillis());
    sweeper.scheduleWithFixedDelay(this::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
    log.info("memory pools: {}", describePools());
  }

  private void addPool(String name, long total, MemoryConfig.@Nullable Amount budget, double defaultShare, MemoryConfig config) {
    long b = budget != null ? budget.resolve(total) : (long) (total * defaultShare);
    long headroom = config.headroom().map(h -> h.resolve(b)).orElse(0L);
    pools.put(name, new Pool(name, Math.max(0, b - headroom)));
  }

  private String describePools() {
    List<String> parts = new ArrayList<>();
    for (Pool p : pools.values()) {
      parts.add(p.name + " " + p.budget / (1 << 20) + " MiB");
    }
    return String.join(", ", parts) + (unified ? " (unified memory)" : "") + ", eviction " + policy.name();
  }

  public void addListener(ModelEventListener listener) {
    listeners.add(listener);
  }

  // ---- the request path ----------------------------------------------------------------------

  /**
   * Takes a lease on {@code m}: lock-free when it is resident, else through the slow path below
   * (load, promote or wait), bounded by {@code deadline}.
   *
   * @param deadline the request's deadline, or null for the queue timeout
   * @return the lease, or null when the model is draining (the caller plans again)
   * @throws InsufficientMemoryException if the model can never fit its pool
   * @throws DeadlineExceededException if the deadline passes while waiting
   * @throws OverloadedException if the queue is full or the wait exceeds the queue timeout
   */
  public @Nullable Lease lease(RegisteredModel m, @Nullable Instant deadline) {
    Residency r = m.residency;
    if (r.tryLease() || !r.isDraining() && acquire(m, deadline)) {
      touch(m);
      return new Lease(this, m);
    }
    return null;
  }

  /** Takes a lease on {@code m} if it is resident and ready, lock-free; else returns null. */
  public @Nullable Lease tryLease(RegisteredModel m) {
    if (m.residency.tryLease()) {
      touch(m);
      return new Lease(this, m);
    }
    return null;
  }

  /** Pins or unpins {@code m}: a pinned model is kept resident, never evicted. */
  public void pin(RegisteredModel m, boolean pinned) {
    m.residency.pinned = pinned;
  }

  /** Records a use of a leased model, for eviction order and keep-alive. Lock-free. */
  void touch(RegisteredModel m) {
    m.residency.lastAccessNanos = System.nanoTime();
    m.residency.accesses++;
    m.residency.clockAtAccess = policy.clock();
  }

  /** Called when a model's last lease returned. Takes the lock only when someone may care. */
  void idle(RegisteredModel m) {
    m.residency.lastUsedMillis = clock.millis();
    long keep = keepAliveMillis(m);
    if (waiting == 0 && keep != 0 && !m.residency.isHeld()) {
      return;
    }
    lock.lock();
    try {
      if (keep == 0 && !m.residency.pinned && m.residency.pendingServes == 0) {
        evict(m, "keep_alive 0");
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    flushEvents();
  }

  /**
   * Makes {@code m} resident and takes a lease on it, loading, promoting or waiting as needed.
   *
   * @param deadline the request's deadline, or null for the queue timeout
   * @return false if the model is draining (the caller resolves again)
   * @throws InsufficientMemoryException if the model can never fit its pool
   * @throws DeadlineExceededException if the deadline passes while waiting
   * @throws OverloadedException if the queue is full or the wait exceeds the queue timeout
   */
  boolean acquire(RegisteredModel m, @Nullable Instant deadline) {
    long limitNanos = System.nanoTime() + waitBudget(deadline).toNanos();
    Waiter w = null;
    lock.lock();
    try {
      while (true) {
        if (m.residency.tryLease()) {
          if (m.residency.pendingServes > 0) {
            m.residency.pendingServes--;
          }
          return true;
        }
        if (m.residency.isDraining()) {
          return false;
        }
        if (m.residency.loading != null) {
          m.residency.loadWaiters++;
          waitForLoad(m, limitNanos, deadline);
          continue;
        }
        if (m.residency.isHeld()) {
          awaitChange(m, limitNanos, deadline);
          continue;
        }
        boolean promote = m.residency.tier == Tier.WARM;
        Map<String, Long> need = expected(m);
        checkFits(m, need);
        boolean head = queue.isEmpty() || queue.peekFirst().model == m;
        if (head ? makeRoom(need, m) : fitsNow(need, m)) {
          if (w != null) {
            queue.remove(w);
            waiting = queue.size();
            w = null;
          }
          startLoad(m, need, promote);
          m.residency.loadWaiters++; // this caller, counted before the loader can look
          waitForLoad(m, limitNanos, deadline);
          continue;
        }
        if (w == null) {
          if (queue.size() >= maxQueued) {
            throw new OverloadedException(
                "model '" + m.ref + "' cannot be loaded now and " + queue.size()
                    + " requests already wait for memory; retry later",
                m.ref.id(), null);
          }
          w = new Waiter(m);
          queue.addLast(w);
          waiting = queue.size();
        }
        awaitChange(m, limitNanos, deadline);
      }
    } finally {
      if (w != null) {
        queue.remove(w);
        waiting = queue.size();
        changed.signalAll();
      }
      lock.unlock();
      flushEvents();
    }
  }

  private Duration waitBudget(@Nullable Instant deadline) {
    if (deadline == null) {
      return queueTimeout;
    }
    Duration left = Duration.between(clock.instant(), deadline);
    if (left.isNegative()) {
      return Duration.ZERO;
    }
    return left.compareTo(queueTimeout) < 0 ? left : queueTimeout;
  }

  /** Waits for the model's load; the caller has counted itself in {@code loadWaiters}. */
  // guarded by lock; returns with the lock held
  private void waitForLoad(RegisteredModel m, long limitNanos, @Nullable Instant deadline) {
    try {
      awaitLoad(m.residency.loading, m, limitNanos, deadline);
    } finally {
      m.residency.loadWaiters--;
    }
  }

  // guarded by lock; returns with the lock held
  private void awaitLoad(CompletableFuture<Void> f, RegisteredModel m, long limitNanos, @Nullable Instant deadline) {
    lock.unlock();
    try {
      long left = limitNanos - System.nanoTime();
      f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      lock.lock();
      throw timedOut(m, deadline);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      lock.lock();
      throw new ModelMuxException("interrupted while model '" + m.ref + "' loaded", e);
    } catch (ExecutionException e) {
      lock.lock();
      Throwable cause = e.getCause();
      if (cause instanceof ModelMuxException) {
        throw (ModelMuxException) cause;
      }
      throw new ModelLoadException(
          "model '" + m.ref + "' failed to load: " + MessageText.escape(m.spec.secrets().redact(String.valueOf(cause))),
          m.ref.id(), cause == null ? null : m.spec.secrets().scrub(cause));
    }
    lock.lock();
  }

  // guarded by lock
  private void awaitChange(RegisteredModel m, long limitNanos, @Nullable Instant deadline) {
    long left = limitNanos - System.nanoTime();
    if (left <= 0) {
      throw timedOut(m, deadline);
    }
    try {
      changed.awaitNanos(left);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelMuxException("interrupted while waiting for memory for model '" + m.ref + "'", e);
    }
  }

  private ModelMuxException timedOut(RegisteredModel m, @Nullable Instant deadline) {
    if (deadline != null && !clock.instant().isBefore(deadline.minusMillis(1))) {
      return new DeadlineExceededException(
          "request to model '" + m.ref + "' passed its deadline while waiting for memory or its load;"
              + " retry with a later deadline, or free memory (unpin or unload a model)",
          m.ref.id(), null);
    }
    return new OverloadedException(
        "request to model '" + m.ref + "' waited " + queueTimeout.toSeconds()
            + " s for memory or its load (" + describeUse() + "); retry later",
        m.ref.id(), null);
  }

  // ---- admission -----------------------------------------------------------------------------

  /** Returns the bytes per pool the model is expected to take: learned, else estimated. */
  private Map<String, Long> expected(RegisteredModel m) {
    Residency.Learned known = m.residency.learned;
    if (known != null) {
      return known.bytes(); // the spec's memory is already its floor
    }
    Map<String, Long> out = new HashMap<>();
    for (Map.Entry<String, Long> e : m.footprint().bytesByPool().entrySet()) {
      out.merge(poolName(e.getKey()), e.getValue(), Long::sum);
    }
    long declared = m.spec.memoryBytes().orElse(0);
    if (declared > 0) {
      // the user's own figure stands in for the adapter's estimate in the model's main pool
      out.put(mainPool(out), declared);
    }
    return out;
  }

  /** Raises the main pool of a footprint found at load to the spec's {@code memory}, if that is more. */
  private boolean floorByDeclared(RegisteredModel m, Map<String, Long> byPool) {
    long declared = m.spec.memoryBytes().orElse(0);
    if (declared <= 0) {
      return false;
    }
    String main = mainPool(byPool);
    if (byPool.getOrDefault(main, 0L) >= declared) {
      return false;
    }
    byPool.put(main, declared);
    return true;
  }

  /**
   * Returns the pool the spec's {@code memory} applies to: the one holding most of the footprint
   * (a device model's accelerator), the default pool for an empty one.
   */
  private String mainPool(Map<String, Long> byPool) {
    String main = defaultPool;
    long most = -1;
    for (Map.Entry<String, Long> e : byPool.entrySet()) {
      if (e.getValue() > most || e.getValue() == most && e.getKey().equals(defaultPool)) {
        main = e.getKey();
        most = e.getValue();
      }
    }
    return main;
  }

  /** The memory the scheduler expects a model to take, and where the figure comes from. */
  public record Expected(long bytes, MemoryStats.Source source) {}

  /**
   * Returns what {@code m} takes by the scheduler's books: what its last load in this
   * registration measured (or counted), else the estimate admission would use.
   */
  public Expected expectedOf(RegisteredModel m) {
    Residency.Learned known = m.residency.learned;
    if (known != null) {
      return new Expected(sum(known.bytes()), known.source());
    }
    long bytes = sum(expected(m));
    return new Expected(bytes, bytes == 0 && m.footprint().bytesByPool().isEmpty() ? MemoryStats.Source.NONE : MemoryStats.Source.ESTIMATED);
  }

  private String poolName(String name) {
    return unified ? Footprint.UNIFIED : name;
  }

  // guarded by lock
  private Pool pool(String name) {
    Pool p = pools.get(name);
    if (p == null) {
      log.warn("models use pool '{}', which was neither configured nor detected; it gets no budget limit", name);
      p = new Pool(name, Long.MAX_VALUE);
      pools.put(name, p);
    }
    return p;
  }

  // guarded by lock
  private void checkFits(RegisteredModel m, Map<String, Long> need) {
    for (Map.Entry<String, Long> e : need.entrySet()) {
      Pool p = pool(e.getKey());
      if (e.getValue() > p.budget) {
        throw new InsufficientMemoryException(
            "model '" + m.ref + "' needs " + mib(e.getValue()) + " in pool " + p.name + ", whose budget is "
                + mib(p.budget) + " (" + mib(p.used) + " in use by " + names(p.holders) + "); raise"
                + " memory.budget or memory.pools." + p.name + ", or use a smaller model",
            m.ref.id(), e.getValue(), p.budget, p.used);
      }
    }
  }

  // guarded by lock
  private boolean fitsNow(Map<String, Long> need, RegisteredModel m) {
    if (maxLoaded > 0 && loadedCount() >= maxLoaded && !need.isEmpty()) {
      return false;
    }
    for (Map.Entry<String, Long> e : need.entrySet()) {
      Pool p = pool(e.getKey());
      if (p.used + e.getValue() > p.budget) {
        return false;
      }
    }
    return true;
  }

  private int loadedCount() {
    int n = 0;
    for (RegisteredModel r : resident) {
      if ((r.residency.tier == Tier.ACTIVE || r.residency.loading != null) && !r.residency.charged.isEmpty()) {
        n++;
      }
    }
    return n;
  }

  /**
   * Frees memory for {@code need} by demoting or evicting idle models, if enough can be freed;
   * evicts nothing otherwise.
   */
  // guarded by lock
  private boolean makeRoom(Map<String, Long> need, RegisteredModel m) {
    if (fitsNow(need, m)) {
      return true;
    }
    // First check that evicting every candidate would be enough, so nothing goes for nothing.
    for (Map.Entry<String, Long> e : need.entrySet()) {
      Pool p = pool(e.getKey());
      long freeable = 0;
      for (RegisteredModel r : p.holders) {
        if (evictable(r, m)) {
          freeable += r.residency.charged.getOrDefault(p.name, 0L);
        }
      }
      if (p.used - freeable + e.getValue() > p.budget) {
        return false;
      }
    }
    if (maxLoaded > 0 && !need.isEmpty()) {
      long candidates = resident.stream().filter(r -> r.residency.tier == Tier.ACTIVE && evictable(r, m)).count();
      if (loadedCount() - candidates >= maxLoaded) {
        return false;
      }
    }
    while (!fitsNow(need, m)) {
      RegisteredModel victim = chooseVictim(need, m);
      if (victim == null) {
        return false;
      }
      demoteOrEvict(victim, "to make room for " + m.ref);
    }
    return true;
  }

  /**
   * Returns whether making {@code m} resident now would displace a model used within {@code
   * recent}: it is not resident, does not fit, and the idle models that have not been used for
   * that long cannot make room for it (or it would wait for memory). False for a resident model
   * and for one that takes no memory (a remote one). Changes nothing: it is for choosing, before
   * a request is sent, a model that serves the same job ({@code overflow_to}).
   */
  public boolean loadWouldDisplace(RegisteredModel m, Duration recent) {
    if (m.residency.tier == Tier.ACTIVE && m.residency.loading == null) {
      return false;
    }
    lock.lock();
    try {
      if (m.residency.tier == Tier.ACTIVE || m.residency.loading != null) {
        return false; // resident, or its load is under way: waiting for it displaces nothing more
      }
      Map<String, Long> need = expected(m);
      if (need.isEmpty() || sum(need) == 0 || fitsNow(need, m)) {
        return false;
      }
      long staleBefore = System.nanoTime() - recent.toNanos();
      for (Map.Entry<String, Long> e : need.entrySet()) {
        Pool p = pool(e.getKey());
        long freeable = 0;
        for (RegisteredModel r : p.holders) {
          if (evictable(r, m) && r.residency.lastAccessNanos - staleBefore < 0) {
            freeable += r.residency.charged.getOrDefault(p.name, 0L);
          }
        }
        if (p.used - freeable + e.getValue() > p.budget) {
          return true;
        }
      }
      if (maxLoaded > 0) {
        long stale = resident.stream()
            .filter(r -> r.residency.tier == Tier.ACTIVE && evictable(r, m) && r.residency.lastAccessNanos - staleBefore < 0)
            .count();
        return loadedCount() - stale >= maxLoaded;
      }
      return false;
    } finally {
      lock.unlock();
    }
  }

  private boolean evictable(RegisteredModel r, RegisteredModel forModel) {
    return r != forModel
        && !r.residency.pinned
        && r.residency.loading == null
        && r.residency.inFlight() == 0
        && !r.residency.isHeld()
        && (r.residency.pendingServes == 0 || clock.millis() >= r.residency.protectedUntilMillis);
  }

  // guarded by lock
  private @Nullable RegisteredModel chooseVictim(Map<String, Long> need, RegisteredModel m) {
    String shortPool = null;
    for (Map.Entry<String, Long> e : need.entrySet()) {
      Pool p = pool(e.getKey());
      if (p.used + e.getValue() > p.budget) {
        shortPool = p.name;
        break;
      }
    }
    List<RegisteredModel> pool = new ArrayList<>();
    for (RegisteredModel r : resident) {
      if (!evictable(r, m)) {
        continue;
      }
      if (shortPool == null ? r.residency.tier == Tier.ACTIVE : r.residency.charged.containsKey(shortPool)) {
        pool.add(r);
      }
    }
    if (pool.isEmpty()) {
      return null;
    }
    int lowest = Integer.MAX_VALUE;
    for (RegisteredModel r : pool) {
      lowest = Math.min(lowest, r.spec.priority());
    }
    List<EvictionPolicy.Candidate> candidates = new ArrayList<>();
    Map<ModelRef, RegisteredModel> byRef = new HashMap<>();
    for (RegisteredModel r : pool) {
      if (r.spec.priority() == lowest) {
        long bytes = shortPool == null ? r.residency.chargedBytes() : r.residency.charged.getOrDefault(shortPool, 0L);
        candidates.add(
            new EvictionPolicy.Candidate(r.ref, bytes, r.residency.lastAccessNanos, r.residency.accesses, r.residency.loadCostNanos, r.residency.clockAtAccess));
        byRef.put(r.ref, r);
      }
    }
    EvictionPolicy.Candidate chosen = policy.victim(Collections.unmodifiableList(candidates));
    policy.evicted(chosen);
    return byRef.get(chosen.model());
  }

  // guarded by lock
  private void demoteOrEvict(RegisteredModel v, String why) {
    if (v.residency.tier == Tier.ACTIVE && v.adapter instanceof TieredAdapter && !unified) {
      TieredAdapter t = (TieredAdapter) v.adapter;
      long deviceBytes = 0;
      for (Map.Entry<String, Long> e : v.residency.charged.entrySet()) {
        if (!e.getKey().equals(Footprint.HOST)) {
          deviceBytes += e.getValue();
        }
      }
      Pool host = pools.get(Footprint.HOST);
      if (deviceBytes > 0 && t.canDemote() && host != null && host.used + deviceBytes <= host.budget && v.residency.tryRetire()) {
        long start = System.nanoTime();
        try {
          t.demote();
          uncharge(v);
          charge(v, Map.of(Footprint.HOST, deviceBytes));
          v.residency.tier = Tier.WARM;
          v.residency.evictions++;
          event(ModelEvent.Type.DEMOTED, v, Footprint.HOST, deviceBytes, System.nanoTime() - start, null);
          changed.signalAll();
          return;
        } catch (RuntimeException e) {
          log.warn("model {} failed to demote; unloading it instead", v.ref, v.spec.secrets().scrub(e));
        }
        unloadRetired(v, why);
        return;
      }
    }
    evict(v, why);
  }

  /** Unloads {@code v} if it is idle. */
  // guarded by lock
  boolean evict(RegisteredModel v, String why) {
    if (v.residency.tier == Tier.WARM) {
      // no READY bit while warm: unload directly
      unloadRetired(v, why);
      return true;
    }
    if (!v.residency.tryRetire()) {
      return false;
    }
    unloadRetired(v, why);
    return true;
  }

  /** Unloads {@code m}'s adapter; an adapter that throws is logged: the scheduler's books must still balance. */
  private static void unloadQuietly(RegisteredModel m) {
    try {
      m.adapter.unload();
    } catch (RuntimeException e) {
      log.warn("model {} failed to unload cleanly", m.ref, m.spec.secrets().scrub(e));
    }
  }

  // guarded by lock
  private void unloadRetired(RegisteredModel v, String why) {
    long bytes = v.residency.chargedBytes();
    String poolName = v.residency.charged.isEmpty() ? defaultPool : v.residency.charged.keySet().iterator().next();
    long start = System.nanoTime();
    unloadQuietly(v);
    uncharge(v);
    resident.remove(v);
    v.residency.tier = Tier.COLD;
    v.residency.loadState = ModelState.REGISTERED;
    v.residency.evictions++;
    v.residency.pendingServes = 0;
    log.debug("evicted {} ({})", v.ref, why);
    event(ModelEvent.Type.EVICTED, v, poolName, bytes, System.nanoTime() - start, null);
    changed.signalAll();
  }

  // guarded by lock
  private void charge(RegisteredModel m, Map<String, Long> bytes) {
    Map<String, Long> merged = new HashMap<>(m.residency.charged);
    for (Map.Entry<String, Long> e : bytes.entrySet()) {
      Pool p = pool(e.getKey());
      p.used += e.getValue();
      p.holders.add(m);
      merged.merge(e.getKey(), e.getValue(), Long::sum);
    }
    m.residency.charged = Map.copyOf(merged);
  }

  // guarded by lock
  private void uncharge(RegisteredModel m) {
    for (Map.Entry<String, Long> e : m.residency.charged.entrySet()) {
      Pool p = pool(e.getKey());
      p.used -= e.getValue();
      p.holders.remove(m);
    }
    m.residency.charged = Map.of();
  }

  // ---- loading -------------------------------------------------------------------------------

  /** Charges the expected footprint and starts one load (or promotion) on a loader thread. */
  // guarded by lock
  private void startLoad(RegisteredModel m, Map<String, Long> need, boolean promote) {
    Map<String, Long> before = m.residency.charged;
    ModelState stateBefore = m.residency.loadState;
    boolean wasResident = resident.contains(m);
    if (promote) {
      uncharge(m); // the host copy is replaced by the device copy
    }
    charge(m, need);
    resident.add(m);
    CompletableFuture<Void> f = new CompletableFuture<>();
    m.residency.loading = f;
    m.residency.loadState = ModelState.LOADING;
    try {
      loader.execute(() -> runLoad(m, f, need, promote));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // close() stopped the loader: put everything back as it was
      uncharge(m);
      charge(m, before);
      if (!wasResident) {
        resident.remove(m);
      }
      m.residency.loading = null;
      m.residency.loadState = stateBefore;
      changed.signalAll();
      throw new ModelLoadException("model '" + m.ref + "' was not loaded: its manager is closing", m.ref.id(), null);
    }
  }

  private void runLoad(RegisteredModel m, CompletableFuture<Void> f, Map<String, Long> reserved, boolean promote) {
    lock.lock();
    try {
      if (m.residency.loadWaiters == 0 && !m.residency.pinned) {
        // Every caller gave up before the load began: do not load at all.
        uncharge(m);
        resident.remove(m);
        m.residency.loading = null;
        m.residency.loadState = ModelState.REGISTERED;
        m.residency.tier = promote ? Tier.COLD : m.residency.tier;
        if (promote) {
          unloadQuietly(m);
        }
        changed.signalAll();
        f.completeExceptionally(new OverloadedException("load of '" + m.ref + "' cancelled: no caller waits for it", m.ref.id(), null));
        log.debug("cancelled the load of {}: every caller had gone", m.ref);
        return;
      }
    } finally {
      lock.unlock();
    }
    long start = System.nanoTime();
    RuntimeException failure = null;
    long gained = -1;
    try {
      if (promote) {
        ((TieredAdapter) m.adapter).promote();
      } else if (residentInProcess(m)) {
        gained = loadMeasured(m);
      } else {
        m.adapter.load();
      }
    } catch (RuntimeException | LinkageError e) {
      failure = e instanceof ModelMuxException
          ? (ModelMuxException) e
          : new ModelLoadException(
              "model '" + m.ref + "' failed to load: " + MessageText.escape(m.spec.secrets().redact(e.toString()))
                  + "; check its files and settings, then retry",
              m.ref.id(), m.spec.secrets().scrub(e));
    }
    long took = System.nanoTime() - start;
    lock.lock();
    try {
      if (failure != null) {
        if (promote) {
          unloadQuietly(m); // the parked copy is of no use once the way back failed
        }
        uncharge(m);
        resident.remove(m);
        m.residency.loading = null;
        m.residency.tier = Tier.COLD;
        m.residency.loadState = ModelState.FAILED;
        changed.signalAll();
        event(ModelEvent.Type.LOAD_FAILED, m, reserved.isEmpty() ? defaultPool : reserved.keySet().iterator().next(), 0, took, failure);
        f.completeExceptionally(failure);
        return;
      }
      Footprint counted = m.footprint();
      Map<String, Long> actual = reserved;
      if (counted.isMeasured() || gained >= 0) {
        Map<String, Long> byPool = new HashMap<>();
        (counted.isMeasured() ? counted.bytesByPool() : reserved).forEach((k, v) -> byPool.merge(poolName(k), v, Long::sum));
        MemoryStats.Source source = MemoryStats.Source.COUNTED;
        if (gained >= 0) {
          // the process's growth lands in its own memory: the host pool, or the unified one
          String own = unified ? Footprint.UNIFIED : Footprint.HOST;
          long count = counted.isMeasured() ? byPool.getOrDefault(own, 0L) : 0;
          if (gained >= count) {
            byPool.put(own, gained);
            source = MemoryStats.Source.MEASURED;
          }
          log.debug("model {}: the process gained {} over load and warm-up; the adapter counts {}", m.ref, mib(gained), mib(count));
        }
        if (floorByDeclared(m, byPool)) {
          source = MemoryStats.Source.DECLARED;
        }
        actual = Map.copyOf(byPool);
        // this registration's own: a model registered again under the ref starts afresh
        m.residency.learned = new Residency.Learned(actual, source);
      }
      uncharge(m);
      charge(m, actual);
      m.residency.loadCostNanos = took;
      m.residency.lastLoadTime = Duration.ofNanos(took);
      m.residency.loads++;
      m.residency.tier = Tier.ACTIVE;
      m.residency.loadState = ModelState.LOADED;
      m.residency.accesses = 0;
      m.residency.lastUsedMillis = clock.millis();
      m.residency.lastAccessNanos = System.nanoTime();
      m.residency.pendingServes = m.residency.loadWaiters;
      m.residency.protectedUntilMillis = clock.millis() + maxProtect.toMillis();
      // A measured footprint larger than the estimate may push a pool over its budget:
      // make room now, or give the memory back and let the callers wait with a better estimate.
      boolean over = false;
      for (Map.Entry<String, Long> e : actual.entrySet()) {
        Pool p = pool(e.getKey());
        if (p.used > p.budget) {
          over = true;
        }
      }
      if (over) {
        uncharge(m);
        boolean room = actual.entrySet().stream().allMatch(e -> e.getValue() <= pool(e.getKey()).budget) && makeRoom(actual, m);
        charge(m, actual);
        if (!room) {
          log.warn("model {} measured {} after load, more than expected ({}); unloading it until memory frees",
              m.ref, mib(sum(actual)), mib(sum(reserved)));
          unloadQuietly(m);
          uncharge(m);
          resident.remove(m);
          m.residency.tier = Tier.COLD;
          m.residency.loadState = ModelState.REGISTERED;
          m.residency.loading = null;
          changed.signalAll();
          f.complete(null); // callers retry admission with the learned size
          return;
        }
      }
      m.residency.loading = null;
      m.residency.setReady();
      changed.signalAll();
      event(promote ? ModelEvent.Type.PROMOTED : ModelEvent.Type.LOADED, m,
          actual.isEmpty() ? defaultPool : actual.keySet().iterator().next(), sum(actual), took, null);
      if (m.residency.loadWaiters == 0 && !m.residency.pinned) {
        // Every caller gave up while it loaded: the load is cancelled, the memory given back.
        evict(m, "load cancelled: every caller had gone");
      }
    } finally {
      lock.unlock();
      flushEvents();
    }
    f.complete(null);
  }

  /** Returns whether {@code m}'s memory is the process's own, so that its load is measured. */
  private static boolean residentInProcess(RegisteredModel m) {
    try {
      return m.adapter.residentInProcess();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Loads and warms up {@code m} while no other measured load runs in this JVM, and returns what
   * the process gained meanwhile at its peak, less the JVM's own growth; -1 where the process
   * cannot be read. What the adapter shares with its other models (an engine) starts before,
   * outside the measurement. A model that fails its warm-up is unloaded: the load failed.
   */
  private long loadMeasured(RegisteredModel m) {
    m.adapter.prepare();
    try {
      MEASURING.lockInterruptibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelLoadException("model '" + m.ref + "': interrupted while waiting for another model's load to finish", m.ref.id(), e);
    }
    try {
      boolean measure = meter.available();
      boolean peak = measure && meter.resetPeak();
      MemoryMeter.Reading before = measure ? meter.read() : null;
      m.adapter.load();
      try {
        m.adapter.warmUp();
      } catch (RuntimeException | LinkageError e) {
        unloadQuietly(m);
        if (e instanceof ModelLoadException) {
          throw (ModelLoadException) e;
        }
        throw new ModelLoadException(
            "model '" + m.ref + "' loaded but failed its warm-up (its largest batch at its full context): "
                + MessageText.escape(m.spec.secrets().redact(e.toString())) + "; check its batch size and context settings",
            m.ref.id(), m.spec.secrets().scrub(e));
      }
      return before == null ? -1 : MemoryMeter.gained(before, meter.read(), peak);
    } finally {
      MEASURING.unlock();
    }
  }

  // ---- explicit operations -------------------------------------------------------------------

  /** Loads {@code m} in the background; the future completes when it is resident. */
  public CompletableFuture<Void> preload(RegisteredModel m) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loader.execute(
        () -> {
          try {
            if (acquire(m, null)) {
              m.residency.release();
              idle(m);
            }
            done.complete(null);
          } catch (RuntimeException e) {
            done.completeExceptionally(e);
          }
        });
    return done;
  }

  /** Unloads {@code m} once its leases have returned; new requests wait and load it again. */
  public void unload(RegisteredModel m) {
    lock.lock();
    try {
      while (m.residency.loading != null) {
        CompletableFuture<Void> f = m.residency.loading;
        lock.unlock();
        try {
          f.handle((v, e) -> null).get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          lock.lock();
          return;
        } catch (ExecutionException e) {
          // handled above
        }
        lock.lock();
      }
      if (m.residency.tier == Tier.COLD) {
        return;
      }
      if (m.residency.tier == Tier.WARM) {
        unloadRetired(m, "unload");
        return;
      }
      m.residency.hold(true);
      try {
        while (m.residency.inFlight() > 0) {
          changed.awaitUninterruptibly();
        }
        evict(m, "unload");
      } finally {
        m.residency.hold(false);
        changed.signalAll();
      }
    } finally {
      lock.unlock();
      flushEvents();
    }
  }

  /**
   * Forgets {@code m} after it drained: gives its memory back and closes its adapter, after a
   * load in progress finished or {@code untilNanos} ({@link System#nanoTime()}; {@link
   * Long#MAX_VALUE}: however long it takes) passed — a load stuck past it is left to fail as its
   * adapter closes, so that {@code close()} ends in bounded time.
   */
  public void remove(RegisteredModel m, long untilNanos) {
    lock.lock();
    try {
      while (m.residency.loading != null) { // a load in progress finishes before the adapter closes
        if (untilNanos == Long.MAX_VALUE) {
          changed.awaitUninterruptibly();
          continue;
        }
        long left = untilNanos - System.nanoTime();
        if (left <= 0) {
          log.warn("model {} was still loading when close() had waited closeTimeout; closing it under the load", m.ref);
          break;
        }
        try {
          changed.awaitNanos(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      uncharge(m);
      resident.remove(m);
      m.residency.tier = Tier.COLD;
      try {
        m.adapter.close();
      } catch (RuntimeException e) {
        log.warn("model {} failed to close cleanly", m.ref, m.spec.secrets().scrub(e));
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Unloads idle models whose keep-alive has passed. Runs every second, and from tests. */
  public void sweep() {
    lock.lock();
    try {
      long now = clock.millis();
      for (RegisteredModel m : new ArrayList<>(resident)) {
        Duration keep = keepAlive(m);
        if (keep.isNegative() || m.residency.pinned || m.residency.loading != null || m.residency.inFlight() > 0) {
          continue;
        }
        if (now - m.residency.lastUsedMillis >= keep.toMillis()) {
          evict(m, "idle for keep_alive " + keep);
        }
      }
    } finally {
      lock.unlock();
      flushEvents();
    }
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (RuntimeException e) {
      log.warn("keep-alive sweep failed", e);
    }
  }

  Duration keepAlive(RegisteredModel m) {
    return m.spec.keepAlive().orElse(defaultKeepAlive);
  }

  private long keepAliveMillis(RegisteredModel m) {
    long k = m.residency.keepAliveMillis;
    if (k == Long.MIN_VALUE) {
      Duration d = keepAlive(m);
      k = d.isNegative() ? -1 : d.toMillis();
      m.residency.keepAliveMillis = k;
    }
    return k;
  }

  // ---- status and events ---------------------------------------------------------------------

  public List<PoolStatus> pools() {
    lock.lock();
    try {
      List<PoolStatus> out = new ArrayList<>();
      for (Pool p : pools.values()) {
        List<ModelRef> refs = new ArrayList<>();
        for (RegisteredModel m : p.holders) {
          refs.add(m.ref);
        }
        out.add(new PoolStatus(p.name, p.budget, p.used, refs));
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  private void event(ModelEvent.Type type, RegisteredModel m, String pool, long bytes, long nanos, @Nullable Throwable cause) {
    ModelEvent e = new ModelEvent(type, m.ref, pool, bytes, Duration.ofNanos(nanos), clock.instant(), cause);
    outbox.add(e);
    if (type == ModelEvent.Type.LOAD_FAILED) {
      log.warn("model {}: load failed after {} ms: {}", m.ref, nanos / 1_000_000, cause == null ? "" : cause.getMessage());
    } else {
      log.info("model {}: {} ({} in {}{}, {} ms)", m.ref, type.name().toLowerCase(java.util.Locale.ROOT), mib(bytes), pool,
          type == ModelEvent.Type.LOADED && m.residency.learned != null
              ? ", " + m.residency.learned.source().name().toLowerCase(java.util.Locale.ROOT) : "",
          nanos / 1_000_000);
    }
  }

  private void flushEvents() {
    for (ModelEvent e; (e = outbox.poll()) != null; ) {
      for (ModelEventListener l : listeners) {
        try {
          l.onEvent(e);
        } catch (RuntimeException ex) {
          log.warn("event listener {} failed on {}", l, e, ex);
        }
      }
    }
  }

  private String describeUse() {
    List<String> parts = new ArrayList<>();
    for (Pool p : pools.values()) {
      parts.add(p.name + ": " + mib(p.used) + " of " + mib(p.budget) + " used by " + names(p.holders));
    }
    return String.join("; ", parts);
  }

  private static String names(Set<RegisteredModel> models) {
    if (models.isEmpty()) {
      return "nothing";
    }
    List<String> out = new ArrayList<>();
    for (RegisteredModel m : models) {
      out.add(m.ref + (m.residency.pinned ? " (pinned)" : m.residency.inFlight() > 0 ? " (in use)" : ""));
    }
    return String.join(", ", out);
  }

  /** Formats a byte count for people: 512 B, 3.4 MiB, 2.0 GiB. */
  static String mib(long bytes) {
    if (bytes == Long.MAX_VALUE) {
      return "unlimited";
    }
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < (1L << 20)) {
      return String.format(java.util.Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    if (bytes < (1L << 30)) {
      return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
    return String.format(java.util.Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
  }

  private static long sum(Map<String, Long> m) {
    long s = 0;
    for (long v : m.values()) {
      s += v;
    }
    return s;
  }

  /** Stops the loader and keep-alive threads. Models are removed by the manager first. */
  public void close() {
    close(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
  }

  /**
   * Stops the sweeper and the loader, waiting for loads under way until {@code untilNanos} ({@link
   * System#nanoTime()}), then interrupting them.
   */
  public void close(long untilNanos) {
    sweeper.shutdownNow();
    loader.shutdown();
    try {
      if (!loader.awaitTermination(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        log.warn("a load was still under way when close() had waited closeTimeout; interrupting it");
        loader.shutdownNow();
      }
    } catch (InterruptedException e) {
      loader.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
