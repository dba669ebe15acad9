package io.modelmux.spi;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The memory a model takes, in bytes per memory pool ({@value #HOST}, {@value #UNIFIED},
 * {@code cuda:0}, ...). Before load it is an estimate; after load the adapter reports what it
 * measured. Remote adapters report no local bytes. Immutable.
 */
public final class Footprint {
  /** The pool of the JVM process's host memory. */
  public static final String HOST = "host";

  /** The pool of a platform whose CPU and accelerator share memory (Apple Silicon, Jetson). */
  public static final String UNIFIED = "unified";

  private static final Footprint NONE = new Footprint(Map.of(), true);

  private final Map<String, Long> bytesByPool;
  private final boolean measured;

  private Footprint(Map<String, Long> bytesByPool, boolean measured) {
    this.bytesByPool = bytesByPool;
    this.measured = measured;
  }

  /** Returns the footprint of a model that takes no local memory (a remote backend). */
  public static Footprint none() {
    return NONE;
  }

  /**
   * Returns an estimate made before load.
   *
   * @param pool the pool; not blank
   * @param bytes not negative
   * @return the footprint
   */
  public static Footprint estimated(String pool, long bytes) {
    return of(Map.of(pool, bytes), false);
  }

  /**
   * Returns what was measured after load.
   *
   * @param pool the pool; not blank
   * @param bytes not negative
   * @return the footprint
   */
  public static Footprint measured(String pool, long bytes) {
    return of(Map.of(pool, bytes), true);
  }

  /**
   * Returns a footprint over several pools.
   *
   * @param bytesByPool bytes per pool; not null, no blank pool, no negative bytes
   * @param measured whether the numbers were measured after load rather than estimated
   * @return the footprint
   */
  public static Footprint of(Map<String, Long> bytesByPool, boolean measured) {
    Objects.requireNonNull(bytesByPool, "bytesByPool");
    TreeMap<String, Long> copy = new TreeMap<>();
    bytesByPool.forEach(
        (pool, bytes) -> {
          Objects.requireNonNull(pool, "pool");
          Objects.requireNonNull(bytes, "bytes");
          if (pool.isBlank()) {
            throw new IllegalArgumentException("pool must not be blank");
          }
          if (bytes < 0) {
            throw new IllegalArgumentException(
                "bytes must not be negative, got " + bytes + " for pool " + pool);
          }
          copy.put(pool, bytes);
        });
    return new Footprint(Collections.unmodifiableMap(copy), measured);
  }

  /** Returns bytes per pool, sorted by pool name. */
  public Map<String, Long> bytesByPool() {
    return bytesByPool;
  }

  /** Returns the bytes in {@code pool}, 0 if none. */
  public long bytes(String pool) {
    return bytesByPool.getOrDefault(pool, 0L);
  }

  /** Returns the bytes over all pools. */
  public long totalBytes() {
    long sum = 0;
    for (long b : bytesByPool.values()) {
      sum += b;
    }
    return sum;
  }

  /** Returns whether the numbers were measured after load rather than estimated. */
  public boolean isMeasured() {
    return measured;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Footprint
        && ((Footprint) o).measured == measured
        && ((Footprint) o).bytesByPool.equals(bytesByPool);
  }

  @Override
  public int hashCode() {
    return bytesByPool.hashCode() * 31 + (measured ? 1 : 0);
  }

  @Override
  public String toString() {
    return (measured ? "measured" : "estimated") + bytesByPool;
  }
}
