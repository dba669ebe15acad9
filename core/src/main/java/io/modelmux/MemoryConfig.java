package io.modelmux;

import io.modelmux.internal.config.Quantities;
import java.time.Duration;
import java.util.LinkedHashMap;
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

  /**
   * Returns a builder with nothing set, for configuring memory in code:
   *
   * <pre>{@code
   * MemoryConfig memory = MemoryConfig.builder().budget("2GiB").headroom("10%").keepAlive(Duration.ofMinutes(5)).build();
   * }</pre>
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding this section's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.budget = budget;
    b.headroom = headroom;
    b.keepAlive = keepAlive;
    b.maxLoadedModels = maxLoadedModels;
    b.eviction = eviction;
    b.pools.putAll(pools);
    return b;
  }

  /** Builds a {@link MemoryConfig}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private @Nullable Amount budget;
    private @Nullable Amount headroom;
    private @Nullable Duration keepAlive;
    private int maxLoadedModels = -1;
    private String eviction = "lru";
    private final Map<String, Amount> pools = new LinkedHashMap<>();

    private Builder() {}

    /** Sets the budget of the default pool; not null. */
    public Builder budget(Amount budget) {
      this.budget = positive(budget, "budget");
      return this;
    }

    /** Sets the budget of the default pool from text such as {@code 2GiB}, {@code 512MB} or {@code 80%}. */
    public Builder budget(String budget) {
      return budget(Amount.parse(budget));
    }

    /** Sets what to keep free below each budget; not null; zero is no headroom. */
    public Builder headroom(Amount headroom) {
      this.headroom = Objects.requireNonNull(headroom, "headroom");
      return this;
    }

    /** Sets the headroom from text such as {@code 10%}, {@code 0%} or {@code 512MiB}. */
    public Builder headroom(String headroom) {
      return headroom(Amount.parse(headroom));
    }

    /** Sets the default keep-alive: negative keeps models forever, zero unloads right after use. */
    public Builder keepAlive(Duration keepAlive) {
      this.keepAlive = Objects.requireNonNull(keepAlive, "keepAlive");
      return this;
    }

    /** Sets the most models loaded at once; at least 1. */
    public Builder maxLoadedModels(int maxLoadedModels) {
      if (maxLoadedModels < 1) {
        throw new IllegalArgumentException("maxLoadedModels must be at least 1, got " + maxLoadedModels);
      }
      this.maxLoadedModels = maxLoadedModels;
      return this;
    }

    /** Sets the eviction policy by name: {@code lru} or {@code gdsf}. */
    public Builder eviction(String eviction) {
      Objects.requireNonNull(eviction, "eviction");
      String e = eviction.strip().toLowerCase(Locale.ROOT);
      if (!e.equals("lru") && !e.equals("gdsf")) {
        throw new IllegalArgumentException("eviction must be lru or gdsf, got '" + eviction + "'");
      }
      this.eviction = e;
      return this;
    }

    /** Sets the budget of a named pool ({@code host}, {@code cuda:0}, {@code unified}); not null. */
    public Builder pool(String name, Amount budget) {
      Objects.requireNonNull(name, "name");
      if (name.isBlank()) {
        throw new IllegalArgumentException("a pool's name must not be blank");
      }
      pools.put(name, positive(budget, "budget of pool '" + name + "'"));
      return this;
    }

    /** Returns the section. */
    public MemoryConfig build() {
      return new MemoryConfig(budget, headroom, keepAlive, maxLoadedModels, eviction, pools);
    }

    private static Amount positive(Amount amount, String what) {
      Objects.requireNonNull(amount, "amount");
      if (!amount.isFraction() && amount.bytes() == 0) {
        throw new IllegalArgumentException(what + " must be more than 0 bytes");
      }
      return amount;
    }
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

    /**
     * Parses {@code 2GiB}, {@code 512MB}, a plain number of bytes, or a percentage such as
     * {@code 80%} ({@code 0%} is zero bytes).
     *
     * @throws IllegalArgumentException if the text is neither, saying what was expected
     */
    public static Amount parse(String text) {
      Objects.requireNonNull(text, "text");
      if (Quantities.isPercent(text)) {
        double fraction = Quantities.parsePercent(text, true);
        return fraction == 0 ? ofBytes(0) : ofFraction(fraction);
      }
      return ofBytes(Quantities.parseBytes(text));
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
