package io.modelmux;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How a model has served requests, at one moment: in flight, served, failed, last used. An
 * immutable snapshot with derived ratios, in the way of Caffeine's {@code CacheStats}; built
 * with {@link #builder()}, so that a statistic added later breaks no caller.
 */
public final class RequestStats {
  private static final RequestStats EMPTY = builder().build();

  private final int inFlight;
  private final long requests;
  private final long failures;
  private final long shadowRequests;
  private final long shadowFailures;
  private final @Nullable Instant lastUsed;

  private RequestStats(Builder b) {
    this.inFlight = b.inFlight;
    this.requests = b.requests;
    this.failures = b.failures;
    this.shadowRequests = b.shadowRequests;
    this.shadowFailures = b.shadowFailures;
    this.lastUsed = b.lastUsed;
  }

  /** Returns the statistics of a model that served nothing. */
  public static RequestStats empty() {
    return EMPTY;
  }

  /** Returns a builder with every count at zero. */
  public static Builder builder() {
    return new Builder();
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

  /**
   * Returns how many copies of requests a route's shadow sent to this model: counted apart, not
   * in {@link #requests()}.
   */
  public long shadowRequests() {
    return shadowRequests;
  }

  /** Returns how many shadow copies failed. */
  public long shadowFailures() {
    return shadowFailures;
  }

  /** Returns the share of requests that failed: 0 when none was served. */
  public double failureRate() {
    return requests == 0 ? 0 : (double) failures / requests;
  }

  /** Returns when the last request ended, if any did. */
  public Optional<Instant> lastUsed() {
    return Optional.ofNullable(lastUsed);
  }

  @Override
  public String toString() {
    return "RequestStats{inFlight=" + inFlight + ", requests=" + requests + ", failures=" + failures
        + (shadowRequests == 0 ? "" : ", shadowRequests=" + shadowRequests + ", shadowFailures=" + shadowFailures)
        + (lastUsed == null ? "" : ", lastUsed=" + lastUsed) + '}';
  }

  /** Builds a {@link RequestStats}; each setter checks its argument at once. Not thread-safe. */
  public static final class Builder {
    private int inFlight;
    private long requests;
    private long failures;
    private long shadowRequests;
    private long shadowFailures;
    private @Nullable Instant lastUsed;

    private Builder() {}

    /** Sets the shadow copies served and failed; not negative. */
    public Builder shadow(long requests, long failures) {
      this.shadowRequests = notNegative(requests, "shadow requests");
      this.shadowFailures = notNegative(failures, "shadow failures");
      return this;
    }

    /** Sets the requests running now; not negative. */
    public Builder inFlight(int inFlight) {
      this.inFlight = notNegative(inFlight, "inFlight");
      return this;
    }

    /** Sets the requests served; not negative. */
    public Builder requests(long requests) {
      this.requests = notNegative(requests, "requests");
      return this;
    }

    /** Sets the requests that failed; not negative. */
    public Builder failures(long failures) {
      this.failures = notNegative(failures, "failures");
      return this;
    }

    /** Sets when the last request ended; null for never. */
    public Builder lastUsed(@Nullable Instant lastUsed) {
      this.lastUsed = lastUsed;
      return this;
    }

    /** Returns the statistics. */
    public RequestStats build() {
      return new RequestStats(this);
    }
  }

  static int notNegative(int v, String name) {
    if (v < 0) {
      throw new IllegalArgumentException(name + " must not be negative, got " + v);
    }
    return v;
  }

  static long notNegative(long v, String name) {
    if (v < 0) {
      throw new IllegalArgumentException(name + " must not be negative, got " + v);
    }
    return v;
  }

  static <T> T present(T v, String name) {
    return Objects.requireNonNull(v, name);
  }
}
