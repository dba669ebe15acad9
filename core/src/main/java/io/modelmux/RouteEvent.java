package io.modelmux;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that changed a route's traffic: a canary rolled back (automatically or on request)
 * or promoted, a zero-downtime switch of a route's or an alias's target.
 *
 * @param type what happened; not null
 * @param route the route or alias; not null
 * @param from the model that lost the traffic; not null
 * @param to the model that gained it; not null
 * @param reason why, in words (for an automatic rollback, which numbers crossed which threshold); not null
 * @param time when; not null
 */
public record RouteEvent(Type type, String route, String from, String to, String reason, Instant time) {
  /** The kinds of event. */
  public enum Type {
    /** A canary's share dropped to zero: its numbers crossed a threshold, or {@code rollback} was called. */
    CANARY_ROLLED_BACK,
    /** A canary took all of its route's traffic ({@code promote}). */
    CANARY_PROMOTED,
    /** A route's or an alias's target changed, after the new one was loaded. */
    SWITCHED
  }

  /** Checks the arguments. */
  public RouteEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(time, "time");
  }
}
