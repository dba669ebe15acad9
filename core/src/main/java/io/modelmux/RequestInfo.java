package io.modelmux;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Which request a {@link RequestListener} hears of: a number unique within its manager, the
 * request itself, whether it streams, whether it is a copy a route's shadow sent (counted apart
 * from the caller's requests), and when it started. Immutable.
 */
public final class RequestInfo {
  private final long id;
  private final GenerateRequest request;
  private final boolean stream;
  private final boolean shadow;
  private final Instant started;
  private final long startNanos;

  /**
   * @param id the request's number, from 1 in the order requests started in its manager
   * @param request the request as the caller gave it; not null
   * @param stream whether it is streamed
   * @param shadow whether it is a shadow copy, sent off the caller's path
   * @param started when it started, on the manager's clock; not null
   * @param startNanos when it started, by {@link System#nanoTime()}, for {@link #elapsed()}
   */
  public RequestInfo(long id, GenerateRequest request, boolean stream, boolean shadow, Instant started, long startNanos) {
    this.id = id;
    this.request = Objects.requireNonNull(request, "request");
    this.stream = stream;
    this.shadow = shadow;
    this.started = Objects.requireNonNull(started, "started");
    this.startNanos = startNanos;
  }

  /** Returns the request's number, from 1 in the order requests started in its manager. */
  public long id() {
    return id;
  }

  /** Returns the request as the caller gave it. */
  public GenerateRequest request() {
    return request;
  }

  /** Returns whether the request is streamed. */
  public boolean stream() {
    return stream;
  }

  /** Returns whether it is a copy a route's shadow sent, off the caller's path. */
  public boolean shadow() {
    return shadow;
  }

  /** Returns when it started, on the manager's clock. */
  public Instant started() {
    return started;
  }

  /** Returns the time since it started (by the monotonic clock): at its end, how long it took. */
  public Duration elapsed() {
    return Duration.ofNanos(Math.max(0, System.nanoTime() - startNanos));
  }

  /** Returns a summary without the prompt. */
  @Override
  public String toString() {
    return "RequestInfo{id=" + id + (stream ? ", stream" : "") + (shadow ? ", shadow" : "") + ", started=" + started
        + ", request=" + request + '}';
  }
}
