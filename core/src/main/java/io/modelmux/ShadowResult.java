package io.modelmux;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one shadow call: a copy of a request sent to a route's shadow model off the
 * caller's path. Its text is recorded here, never returned to the caller.
 *
 * @param route the route that copied the request; not null
 * @param target the shadow as configured (a model, alias or route name); not null
 * @param model the model that answered (or failed), or null when the copy failed before one was chosen
 * @param text the shadow's text, or null when it failed
 * @param latency how long the shadow call took; not null
 * @param error the shadow's failure, or null
 */
public record ShadowResult(
    String route, String target, @Nullable ModelRef model, @Nullable String text, Duration latency, @Nullable ModelMuxException error) {
  /** Checks the arguments. */
  public ShadowResult {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(latency, "latency");
  }

  /** Returns the failure, when the shadow call failed. */
  public Optional<ModelMuxException> failure() {
    return Optional.ofNullable(error);
  }
}
