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
      boolean bytesMeasured) {
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
    return ref + " [" + type + ", " + state + (defaultModel ? ", default" : "")
        + (aliases.isEmpty() ? "" : ", aliases=" + aliases) + ", inFlight=" + inFlight
        + ", requests=" + requests + ", failures=" + failures + ", bytes=" + bytes + "]";
  }
}
