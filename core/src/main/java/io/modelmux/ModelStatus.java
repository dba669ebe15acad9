package io.modelmux;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A snapshot of one registered model: what it is, where it is in its life cycle, the names that
 * lead to it, how it has served ({@link #requestStats()}) and what it holds ({@link
 * #memoryStats()}). Taken at one moment; it does not change afterwards. Immutable.
 *
 * <p>The statistics are small values of their own, composed here and built with builders, so
 * that a statistic added later breaks no caller.
 */
public final class ModelStatus {
  private final ModelRef ref;
  private final String type;
  private final ModelState state;
  private final boolean primary;
  private final boolean defaultModel;
  private final List<String> aliases;
  private final Set<String> tags;
  private final RequestStats requestStats;
  private final MemoryStats memoryStats;
  private final GuardStats guardStats;
  private final ServingStats servingStats;
  private final boolean inProcess;

  private ModelStatus(Builder b) {
    this.ref = b.ref;
    this.type = b.type;
    this.state = b.state;
    this.primary = b.primary;
    this.defaultModel = b.defaultModel;
    this.aliases = List.copyOf(b.aliases);
    this.tags = Set.copyOf(b.tags);
    this.requestStats = b.requestStats;
    this.memoryStats = b.memoryStats;
    this.guardStats = b.guardStats;
    this.servingStats = b.servingStats;
    this.inProcess = b.inProcess;
  }

  /**
   * Returns a builder for the status of {@code ref}, a model of {@code type}. Built by the
   * manager; public so that tests and tools can make one.
   */
  public static Builder builder(ModelRef ref, String type) {
    return new Builder(ref, type);
  }

  /** Returns the model and version. */
  public ModelRef ref() {
    return ref;
  }

  /** Returns the backend type. */
  public String type() {
    return type;
  }

  /** Returns the life-cycle state. */
  public ModelState state() {
    return state;
  }

  /** Returns whether a request naming only the id resolves to this version. */
  public boolean isPrimary() {
    return primary;
  }

  /** Returns whether requests that name no model are served by this one. */
  public boolean isDefault() {
    return defaultModel;
  }

  /** Returns the aliases that resolve to this model, sorted. */
  public List<String> aliases() {
    return aliases;
  }

  /** Returns the model's tags. */
  public Set<String> tags() {
    return tags;
  }

  /** Returns how the model has served requests. */
  public RequestStats requestStats() {
    return requestStats;
  }

  /** Returns what the model holds in memory. */
  public MemoryStats memoryStats() {
    return memoryStats;
  }

  /** Returns how the model's guard stands: circuit breaker, concurrency limit, retries. */
  public GuardStats guardStats() {
    return guardStats;
  }

  /**
   * Returns how the model served: latency percentiles, time to first token and per output
   * token, tokens, errors by type, cache answers, fallbacks.
   */
  public ServingStats servingStats() {
    return servingStats;
  }

  /**
   * Returns whether the model is local: computed on this machine by an engine ModelMux drives, in
   * this process or in a runner process of its own ({@code ModelAdapter.local()}), rather than
   * behind a server.
   */
  public boolean inProcess() {
    return inProcess;
  }

  /** Returns the circuit breaker's state ({@link GuardStats#circuit()}). */
  public GuardStats.CircuitState circuit() {
    return guardStats.circuit();
  }

  // ---- shortcuts to the statistics --------------------------------------------------------

  /** Returns how many requests are running now ({@link RequestStats#inFlight()}). */
  public int inFlight() {
    return requestStats.inFlight();
  }

  /** Returns how many requests were served, successful or not. */
  public long requests() {
    return requestStats.requests();
  }

  /** Returns how many requests failed. */
  public long failures() {
    return requestStats.failures();
  }

  /** Returns when the last request ended, if any did. */
  public Optional<Instant> lastUsed() {
    return requestStats.lastUsed();
  }

  /** Returns the local memory the model takes, in bytes ({@link MemoryStats#bytes()}). */
  public long bytes() {
    return memoryStats.bytes();
  }

  /** Returns whether {@link #bytes()} was measured after load rather than estimated. */
  public boolean bytesMeasured() {
    return memoryStats.isMeasured();
  }

  /** Returns where the model's weights are. */
  public Tier tier() {
    return memoryStats.tier();
  }

  /** Returns the bytes charged to each memory pool now (empty when not resident). */
  public Map<String, Long> pools() {
    return memoryStats.pools();
  }

  /** Returns whether the model is pinned: kept resident, never evicted. */
  public boolean pinned() {
    return memoryStats.pinned();
  }

  /** Returns how many times the model was loaded. */
  public long loads() {
    return memoryStats.loads();
  }

  /** Returns how many times the model was evicted or demoted. */
  public long evictions() {
    return memoryStats.evictions();
  }

  /** Returns how long the last load took, if it was ever loaded. */
  public Optional<Duration> loadTime() {
    return memoryStats.lastLoadTime();
  }

  @Override
  public String toString() {
    return ref + " [" + type + ", " + state + ", " + tier() + (pinned() ? ", pinned" : "") + (defaultModel ? ", default" : "")
        + (aliases.isEmpty() ? "" : ", aliases=" + aliases) + ", inFlight=" + inFlight()
        + ", requests=" + requests() + ", failures=" + failures() + ", bytes=" + bytes()
        + (pools().isEmpty() ? "" : ", pools=" + pools()) + ", loads=" + loads() + ", evictions=" + evictions()
        + (circuit() == GuardStats.CircuitState.DISABLED ? "" : ", circuit=" + circuit()) + "]";
  }

  /** Builds a {@link ModelStatus}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private final ModelRef ref;
    private final String type;
    private ModelState state = ModelState.REGISTERED;
    private boolean primary;
    private boolean defaultModel;
    private List<String> aliases = List.of();
    private Set<String> tags = Set.of();
    private RequestStats requestStats = RequestStats.empty();
    private MemoryStats memoryStats = MemoryStats.builder().build();
    private GuardStats guardStats = GuardStats.empty();
    private ServingStats servingStats = ServingStats.empty();
    private boolean inProcess;

    private Builder(ModelRef ref, String type) {
      this.ref = Objects.requireNonNull(ref, "ref");
      this.type = Objects.requireNonNull(type, "type");
    }

    /** Sets the life-cycle state; not null. */
    public Builder state(ModelState state) {
      this.state = Objects.requireNonNull(state, "state");
      return this;
    }

    /** Sets whether a bare id resolves to this version. */
    public Builder primary(boolean primary) {
      this.primary = primary;
      return this;
    }

    /** Sets whether requests naming no model go here. */
    public Builder defaultModel(boolean defaultModel) {
      this.defaultModel = defaultModel;
      return this;
    }

    /** Sets the aliases resolving to this model; not null. */
    public Builder aliases(List<String> aliases) {
      this.aliases = Objects.requireNonNull(aliases, "aliases");
      return this;
    }

    /** Sets the tags; not null. */
    public Builder tags(Set<String> tags) {
      this.tags = Objects.requireNonNull(tags, "tags");
      return this;
    }

    /** Sets how the model has served; not null. */
    public Builder requestStats(RequestStats requestStats) {
      this.requestStats = Objects.requireNonNull(requestStats, "requestStats");
      return this;
    }

    /** Sets what the model holds; not null. */
    public Builder memoryStats(MemoryStats memoryStats) {
      this.memoryStats = Objects.requireNonNull(memoryStats, "memoryStats");
      return this;
    }

    /** Sets how the guard stands; not null. */
    public Builder guardStats(GuardStats guardStats) {
      this.guardStats = Objects.requireNonNull(guardStats, "guardStats");
      return this;
    }

    /** Sets how the model served; not null. */
    public Builder servingStats(ServingStats servingStats) {
      this.servingStats = Objects.requireNonNull(servingStats, "servingStats");
      return this;
    }

    /** Marks whether the model runs in this process. */
    public Builder inProcess(boolean inProcess) {
      this.inProcess = inProcess;
      return this;
    }

    /** Returns the status. */
    public ModelStatus build() {
      return new ModelStatus(this);
    }
  }
}
