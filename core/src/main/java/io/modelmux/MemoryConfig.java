package io.modelmux;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * The {@code memory:} section of {@code models.yaml}: budgets, headroom, keep-alive, the most
 * models loaded at once and the eviction policy. Values not given are left to detection or to
 * the scheduler's defaults. Immutable.
 */
public final class MemoryConfig {
  private static final MemoryConfig DEFAULTS = new MemoryConfig(null, null, null, -1, "lru", Map.of());

  private final @Nullable Amount budget;
  private final @Nullable Amount headroom;
  private final @Nullable Duration keepAlive;
  private final int maxLoadedModels;
  private final String eviction;
  private final Map<String, Amount> pools;

  /**
   * Creates the section.
   *
   * @param budget the budget of the default pool, or null to detect it
   * @param headroom what to keep free below the budget, or null for none
   * @param keepAlive the default keep-alive (negative: forever), or null for the default
   * @param maxLoadedModels the most models loaded at once, or -1 for no limit
   * @param eviction the eviction policy's name ({@code lru}, {@code gdsf}); not null
   * @param pools budgets per named pool ({@code host}, {@code cuda:0}, {@code unified}); not null
   */
  public MemoryConfig(
      @Nullable Amount budget,
      @Nullable Amount headroom,
      @Nullable Duration keepAlive,
      int maxLoadedModels,
      String eviction,
      Map<String, Amount> pools) {
    if (maxLoadedModels == 0 || maxLoadedModels < -1) {
      throw new IllegalArgumentException(
          "maxLoadedModels must be at least 1, or -1 for no limit, got " + maxLoadedModels);
    }
    this.budget = budget;
    this.headroom = headroom;
    this.keepAlive = keepAlive;
    this.maxLoadedModels = maxLoadedModels;
    this.eviction = Objects.requireNonNull(eviction, "eviction").toLowerCase(Locale.ROOT);
    this.pools = Map.copyOf(Objects.requireNonNull(pools, "pools"));
  }

  /** Returns the section with nothing set. */
  public static MemoryConfig defaults() {
    return DEFAULTS;
  }

  /** Returns the budget of the default pool, if set. */
  public Optional<Amount> budget() {
    return Optional.ofNullable(budget);
  }

  /** Returns what is kept free below each budget, if set. */
  public Optional<Amount> headroom() {
    return Optional.ofNullable(headroom);
  }

  /** Returns the default keep-alive (negative means forever), if set. */
  public Optional<Duration> keepAlive() {
    return Optional.ofNullable(keepAlive);
  }

  /** Returns the most models loaded at once, if limited. */
  public OptionalInt maxLoadedModels() {
    return maxLoadedModels < 0 ? OptionalInt.empty() : OptionalInt.of(maxLoadedModels);
  }

  /** Returns the eviction policy's name, lower case ({@code lru} unless set). */
  public String eviction() {
    return eviction;
  }

  /** Returns budgets per named pool. */
  public Map<String, Amount> pools() {
    return pools;
  }

  @Override
  public String toString() {
    return "MemoryConfig{budget=" + budget + ", headroom=" + headroom + ", keepAlive=" + keepAlive
        + ", maxLoadedModels=" + maxLoadedModels + ", eviction=" + eviction + ", pools=" + pools
        + '}';
  }

  /**
   * An amount of memory: a number of bytes, or a fraction of what the pool has.
   *
   * @param bytes the bytes, or -1 when this is a fraction
   * @param fraction the fraction in (0, 1], or 0 when this is a byte count
   */
  public record Amount(long bytes, double fraction) {
    /** Checks that exactly one of the two is set. */
    public Amount {
      boolean isBytes = bytes >= 0 && fraction == 0;
      boolean isFraction = bytes == -1 && fraction > 0 && fraction <= 1;
      if (!isBytes && !isFraction) {
        throw new IllegalArgumentException(
            "an amount is bytes >= 0 or a fraction in (0, 1], got bytes=" + bytes
                + ", fraction=" + fraction);
      }
    }

    /** Returns an amount of {@code bytes}. */
    public static Amount ofBytes(long bytes) {
      return new Amount(bytes, 0);
    }

    /** Returns a fraction in (0, 1] of the pool. */
    public static Amount ofFraction(double fraction) {
      return new Amount(-1, fraction);
    }

    /** Returns whether this is a fraction of the pool rather than a byte count. */
    public boolean isFraction() {
      return bytes < 0;
    }

    /** Returns the bytes this amount means in a pool of {@code totalBytes}. */
    public long resolve(long totalBytes) {
      return isFraction() ? (long) (totalBytes * fraction) : bytes;
    }

    @Override
    public String toString() {
      return isFraction() ? (fraction * 100) + "%" : bytes + " bytes";
    }
  }
}
