package io.modelmux;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one registered model: what it is, where it is in its life cycle, what it holds
 * and how it has served. Taken at one moment; it does not change afterwards. Immutable.
 */
public final class ModelStatus {
  private final ModelRef ref;
  private final String type;
  private final ModelState state;
  private final boolean primary;
  private final boolean defaultModel;
  private final List<String> aliases;
  private final Set<String> tags;
  private final int inFlight;
  private final long requests;
  private final long failures;
  private final long loads;
  private final @Nullable Instant lastUsed;
  private final long bytes;
  private final boolean bytesMeasured;
  private final Tier tier;
  private final java.util.Map<String, Long> pools;
  private final boolean pinned;
  private final long evictions;
  private final java.time.@Nullable Duration loadTime;

  /**
   * Creates a snapshot. Built by the manager; public so that tests and tools can make one.
   *
   * @param ref the model and version; not null
   * @param type the backend type; not null
   * @param state the life-cycle state; not null
   * @param primary whether a bare id resolves to this version
   * @param defaultModel whether requests naming no model go here
   * @param aliases aliases resolving to this model; not null
   * @param tags the model's tags; not null
   * @param inFlight requests running now
   * @param requests requests served, successful or not
   * @param failures requests that failed
   * @param loads times the model was loaded
   * @param lastUsed when the last request started, or null if never
   * @param bytes local memory taken (estimate before load, measured after)
   * @param bytesMeasured whether {@code bytes} was measured rather than estimated
   * @param tier where the weights are; not null
   * @param pools the bytes charged to each memory pool now; not null
   * @param pinned whether the model is pinned
   * @param evictions how many times the model was evicted or demoted
   * @param loadTime how long the last load took, or null if never loaded
   */
  public ModelStatus(
      ModelRef ref,
      String type,
      ModelState state,
      boolean primary,
      boolean defaultModel,
      List<String> aliases,
      Set<String> tags,
      int inFlight,
      long requests,
      long failures,
      long loads,
      @Nullable Instant lastUsed,
      long bytes,
      boolean bytesMeasured,
      Tier tier,
      java.util.Map<String, Long> pools,
      boolean pinned,
      long evictions,
      java.time.@Nullable Duration loadTime) {
    this.ref = Objects.requireNonNull(ref, "ref");
    this.type = Objects.requireNonNull(type, "type");
    this.state = Objects.requireNonNull(state, "state");
    this.primary = primary;
    this.defaultModel = defaultModel;
    this.aliases = List.copyOf(aliases);
    this.tags = Set.copyOf(tags);
    this.inFlight = inFlight;
    this.requests = requests;
    this.failures = failures;
    this.loads = loads;
    this.lastUsed = lastUsed;
    this.bytes = bytes;
    this.bytesMeasured = bytesMeasured;
    this.tier = Objects.requireNonNull(tier, "tier");
    this.pools = java.util.Map.copyOf(pools);
    this.pinned = pinned;
    this.evictions = evictions;
    this.loadTime = loadTime;
  }

  /** Returns where the model's weights are. */
  public Tier tier() {
    return tier;
  }

  /** Returns the bytes charged to each memory pool now (empty when not resident). */
  public java.util.Map<String, Long> pools() {
    return pools;
  }

  /** Returns whether the model is pinned: kept resident, never evicted. */
  public boolean pinned() {
    return pinned;
  }

  /** Returns how many times the model was evicted or demoted. */
  public long evictions() {
    return evictions;
  }

  /** Returns how long the last load took, if it was ever loaded. */
  public Optional<java.time.Duration> loadTime() {
    return Optional.ofNullable(loadTime);
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

  /** Returns how many requests are running now. */
  public int inFlight() {
    return inFlight;
  }

  /** Returns how many requests were served, successful or not. */
  public long requests() {
    return requests;
  }

  /** Returns how many requests failed. */
  public long failures() {
    return failures;
  }

  /** Returns how many times the model was loaded. */
  public long loads() {
    return loads;
  }

  /** Returns when the last request started, if any did. */
  public Optional<Instant> lastUsed() {
    return Optional.ofNullable(lastUsed);
  }

  /** Returns the local memory the model takes, in bytes (0 for remote models). */
  public long bytes() {
    return bytes;
  }

  /** Returns whether {@link #bytes()} was measured after load rather than estimated. */
  public boolean bytesMeasured() {
    return bytesMeasured;
  }

  @Override
  public String toString() {
    return ref + " [" + type + ", " + state + ", " + tier + (pinned ? ", pinned" : "") + (defaultModel ? ", default" : "")
        + (aliases.isEmpty() ? "" : ", aliases=" + aliases) + ", inFlight=" + inFlight
        + ", requests=" + requests + ", failures=" + failures + ", bytes=" + bytes
        + (pools.isEmpty() ? "" : ", pools=" + pools) + ", loads=" + loads + ", evictions=" + evictions + "]";
  }
}
