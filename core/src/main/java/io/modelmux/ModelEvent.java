package io.modelmux;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Something the memory scheduler did to a model.
 *
 * @param type what happened; not null
 * @param model the model; not null
 * @param pool the memory pool concerned ({@code host}, {@code cuda:0}, {@code unified}); not null
 * @param bytes the bytes loaded, freed or moved
 * @param took how long it took (zero when not measured); not null
 * @param time when it happened; not null
 * @param cause why a load failed, or null
 */
public record ModelEvent(
    Type type, ModelRef model, String pool, long bytes, Duration took, Instant time, @Nullable Throwable cause) {
  /** The kinds of event. */
  public enum Type {
    /** The model was loaded (or promoted from WARM) and can serve. */
    LOADED,
    /** The model was unloaded to make room, after its keep-alive, or on request. */
    EVICTED,
    /** The model's weights were moved from an accelerator to host memory. */
    DEMOTED,
    /** The model's weights were moved back from host memory to its accelerator. */
    PROMOTED,
    /** A load failed. */
    LOAD_FAILED
  }

  /** Checks the arguments. */
  public ModelEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(pool, "pool");
    Objects.requireNonNull(took, "took");
    Objects.requireNonNull(time, "time");
  }

  /** Returns why a load failed, when it did. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(cause);
  }
}
