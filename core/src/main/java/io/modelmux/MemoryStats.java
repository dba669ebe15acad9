package io.modelmux;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a model holds in memory, at one moment: its bytes (estimated, or measured once loaded),
 * its tier, what each pool is charged, whether it is pinned, and how often it was loaded and
 * evicted. An immutable snapshot, built with {@link #builder()} so that a statistic added later
 * breaks no caller.
 */
public final class MemoryStats {
  /** Where a model's {@link #bytes()} come from. */
  public enum Source {
    /** A remote model: it takes no local memory. */
    NONE,
    /**
     * Not loaded yet in this registration: the adapter's estimate (which errs on the large side),
     * or the spec's {@code memory} in its stead.
     */
    ESTIMATED,
    /**
     * Counted by the adapter at its last load (its weights, KV cache and what else it tracks):
     * where the process's memory cannot be read, or the count was the larger figure.
     */
    COUNTED,
    /** Measured at its last load: what the process gained over load and warm-up, at its peak. */
    MEASURED,
    /** The spec's {@code memory}, which was more than its last load measured or counted. */
    DECLARED
  }

  private final long bytes;
  private final boolean measured;
  private final Source source;
  private final Tier tier;
  private final Map<String, Long> pools;
  private final boolean pinned;
  private final long loads;
  private final long evictions;
  private final @Nullable Duration lastLoadTime;

  private MemoryStats(Builder b) {
    this.bytes = b.bytes;
    this.measured = b.measured;
    this.source = b.source != null ? b.source : b.measured ? Source.COUNTED : b.bytes == 0 ? Source.NONE : Source.ESTIMATED;
    this.tier = b.tier;
    this.pools = Map.copyOf(b.pools);
    this.pinned = b.pinned;
    this.loads = b.loads;
    this.evictions = b.evictions;
    this.lastLoadTime = b.lastLoadTime;
  }

  /** Returns a builder of a cold model that takes no memory. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the local memory the model takes, in bytes (0 for remote models). */
  public long bytes() {
    return bytes;
  }

  /**
   * Returns whether {@link #bytes()} was found at a load ({@link Source#MEASURED}, {@link
   * Source#COUNTED}, or {@link Source#DECLARED} above them) rather than estimated.
   */
  public boolean isMeasured() {
    return measured;
  }

  /** Returns where {@link #bytes()} comes from: measured, counted by the adapter, or estimated. */
  public Source source() {
    return source;
  }

  /** Returns where the weights are. */
  public Tier tier() {
    return tier;
  }

  /** Returns the bytes charged to each memory pool now (empty when not resident). */
  public Map<String, Long> pools() {
    return pools;
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

  /** Returns how long the last load took, if the model was ever loaded. */
  public Optional<Duration> lastLoadTime() {
    return Optional.ofNullable(lastLoadTime);
  }

  @Override
  public String toString() {
    return "MemoryStats{" + tier + ", bytes=" + bytes + " " + source.name().toLowerCase(java.util.Locale.ROOT)
        + (pools.isEmpty() ? "" : ", pools=" + pools) + (pinned ? ", pinned" : "") + ", loads=" + loads
        + ", evictions=" + evictions + '}';
  }

  /** Builds a {@link MemoryStats}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private long bytes;
    private boolean measured;
    private @Nullable Source source;
    private Tier tier = Tier.COLD;
    private Map<String, Long> pools = Map.of();
    private boolean pinned;
    private long loads;
    private long evictions;
    private @Nullable Duration lastLoadTime;

    private Builder() {}

    /** Sets the bytes taken and whether they were measured; bytes not negative. */
    public Builder bytes(long bytes, boolean measured) {
      this.bytes = RequestStats.notNegative(bytes, "bytes");
      this.measured = measured;
      this.source = null;
      return this;
    }

    /**
     * Sets the bytes taken and where they come from; bytes not negative, source not null.
     * {@link #isMeasured()} is then true for {@link Source#MEASURED} and {@link Source#COUNTED}.
     */
    public Builder bytes(long bytes, Source source) {
      this.bytes = RequestStats.notNegative(bytes, "bytes");
      this.source = RequestStats.present(source, "source");
      this.measured = source == Source.MEASURED || source == Source.COUNTED || source == Source.DECLARED;
      return this;
    }

    /** Sets the tier; not null. */
    public Builder tier(Tier tier) {
      this.tier = RequestStats.present(tier, "tier");
      return this;
    }

    /** Sets the bytes charged per pool; not null. */
    public Builder pools(Map<String, Long> pools) {
      this.pools = RequestStats.present(pools, "pools");
      return this;
    }

    /** Sets whether the model is pinned. */
    public Builder pinned(boolean pinned) {
      this.pinned = pinned;
      return this;
    }

    /** Sets the loads; not negative. */
    public Builder loads(long loads) {
      this.loads = RequestStats.notNegative(loads, "loads");
      return this;
    }

    /** Sets the evictions and demotions; not negative. */
    public Builder evictions(long evictions) {
      this.evictions = RequestStats.notNegative(evictions, "evictions");
      return this;
    }

    /** Sets how long the last load took; null for never loaded. */
    public Builder lastLoadTime(@Nullable Duration lastLoadTime) {
      this.lastLoadTime = lastLoadTime;
      return this;
    }

    /** Returns the statistics. */
    public MemoryStats build() {
      return new MemoryStats(this);
    }
  }
}
