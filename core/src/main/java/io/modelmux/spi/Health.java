package io.modelmux.spi;

import java.util.Objects;

/**
 * The result of an adapter's health check.
 *
 * @param status up, down or unknown; not null
 * @param detail what was checked or what failed; not null, never a secret
 */
public record Health(Status status, String detail) {
  /** A health status. */
  public enum Status {
    /** The backend answered as expected. */
    UP,
    /** The backend failed the check. */
    DOWN,
    /** The adapter cannot tell without serving a request. */
    UNKNOWN
  }

  /** Checks the arguments. */
  public Health {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(detail, "detail");
  }

  /** Returns an {@code UP} result. */
  public static Health up(String detail) {
    return new Health(Status.UP, detail);
  }

  /** Returns a {@code DOWN} result. */
  public static Health down(String detail) {
    return new Health(Status.DOWN, detail);
  }

  /** Returns an {@code UNKNOWN} result. */
  public static Health unknown(String detail) {
    return new Health(Status.UNKNOWN, detail);
  }
}
