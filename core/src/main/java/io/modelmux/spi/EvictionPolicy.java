package io.modelmux.spi;

import io.modelmux.ModelRef;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Chooses which idle model leaves memory first when a pool needs room. The scheduler only
 * offers models that may go: loaded, idle, not pinned, of the lowest priority present. The
 * scheduler calls a policy under its lock; implementations need not be thread-safe but must be
 * quick.
 */
public interface EvictionPolicy {
  /** Returns the policy's name, as written in {@code memory.eviction}. */
  String name();

  /**
   * Returns the candidate to evict first.
   *
   * @param candidates at least one
   * @return one of {@code candidates}
   */
  Candidate victim(List<Candidate> candidates);

  /** Told that {@code victim} was evicted (GreedyDual's inflation value moves here). */
  default void evicted(Candidate victim) {}

  /** Returns the value the scheduler records with each access (GreedyDual's {@code L}); 0 by default. */
  default double clock() {
    return 0;
  }

  /**
   * What the policy knows of a model that may be evicted.
   *
   * @param model the model
   * @param bytes what it holds in the pool that needs room
   * @param lastAccessNanos when it was last used, on the scheduler's clock
   * @param accesses how often it was used since it was loaded
   * @param loadCostNanos how long its last load took
   * @param clockAtAccess {@link #clock()} at its last access
   */
  record Candidate(
      ModelRef model, long bytes, long lastAccessNanos, long accesses, long loadCostNanos, double clockAtAccess) {
    /** Checks the arguments. */
    public Candidate {
      Objects.requireNonNull(model, "model");
    }
  }

  /** Returns least-recently-used: the model idle the longest goes first. */
  static EvictionPolicy lru() {
    return new EvictionPolicy() {
      @Override
      public String name() {
        return "lru";
      }

      @Override
      public Candidate victim(List<Candidate> candidates) {
        Candidate best = candidates.get(0);
        for (Candidate c : candidates) {
          if (c.lastAccessNanos() < best.lastAccessNanos()) {
            best = c;
          }
        }
        return best;
      }
    };
  }

  /**
   * Returns GreedyDual-Size-Frequency: each model's value is {@code L + accesses × loadCost /
   * bytes}, where {@code L} was the policy's clock at the model's last access; the lowest value
   * goes first and becomes the new {@code L}. Large models that are cheap to reload and seldom
   * used go first; small, costly, popular ones stay. Ties go to the least recently used.
   */
  static EvictionPolicy gdsf() {
    return new EvictionPolicy() {
      private double inflation;

      @Override
      public String name() {
        return "gdsf";
      }

      @Override
      public Candidate victim(List<Candidate> candidates) {
        Candidate best = null;
        double bestValue = Double.POSITIVE_INFINITY;
        for (Candidate c : candidates) {
          double v = value(c);
          if (v < bestValue || (v == bestValue && c.lastAccessNanos() < best.lastAccessNanos())) {
            best = c;
            bestValue = v;
          }
        }
        return best;
      }

      private double value(Candidate c) {
        double cost = Math.max(1, c.loadCostNanos());
        return c.clockAtAccess() + Math.max(1, c.accesses()) * cost / Math.max(1, c.bytes());
      }

      @Override
      public void evicted(Candidate victim) {
        inflation = Math.max(inflation, value(victim));
      }

      @Override
      public double clock() {
        return inflation;
      }
    };
  }

  /**
   * Returns the policy named in configuration.
   *
   * @param name {@code lru} or {@code gdsf}
   * @throws IllegalArgumentException for another name, listing the known ones
   */
  static EvictionPolicy named(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "lru":
        return lru();
      case "gdsf":
        return gdsf();
      default:
        throw new IllegalArgumentException("unknown eviction policy '" + name + "'; use lru or gdsf");
    }
  }
}
