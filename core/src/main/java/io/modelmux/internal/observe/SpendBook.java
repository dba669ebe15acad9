package io.modelmux.internal.observe;

import io.modelmux.SpendLimit;
import io.modelmux.SpendLimitExceededException;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * What a model (or a route) spent in the current period of its {@link SpendLimit}, in
 * billionths of the currency: settled costs and the worst cases reserved by requests in flight.
 * A reservation is one compare-and-set that never lets the sum pass the limit, so concurrent
 * requests cannot overrun it; it is settled to the real cost after the call (in the period it was
 * made in: a period that ended meanwhile is not reopened). Thread-safe.
 */
public final class SpendBook {
  /** Billionths of the currency per unit. */
  public static final double NANOS = 1e9;

  private final SpendLimit limit;
  private final long limitNanos;
  private final String scope;
  private final @Nullable String modelId;
  private final AtomicReference<Window> window = new AtomicReference<>(new Window(Instant.EPOCH, Instant.EPOCH));

  /** One period's spend; its bounds never change. */
  public static final class Window {
    final Instant start;
    final Instant end;
    final AtomicLong used = new AtomicLong();

    Window(Instant start, Instant end) {
      this.start = start;
      this.end = end;
    }
  }

  /**
   * @param limit the limit
   * @param scope what it is on, for messages: {@code model 'm@1'} or {@code route 'chat'}
   * @param modelId the model's id for the exception, or null for a route
   */
  public SpendBook(SpendLimit limit, String scope, @Nullable String modelId) {
    this.limit = limit;
    this.limitNanos = Math.round(limit.amount() * NANOS);
    this.scope = scope;
    this.modelId = modelId;
  }

  /**
   * Reserves {@code nanos} in the period holding {@code now}.
   *
   * @return the period, to settle in
   * @throws SpendLimitExceededException if the spend and the reservation would pass the limit
   */
  public Window reserve(long nanos, Instant now) {
    Window w = current(now);
    while (true) {
      long used = w.used.get();
      if (used + nanos > limitNanos) {
        throw exceeded(used, nanos, w.end, now);
      }
      if (w.used.compareAndSet(used, used + nanos)) {
        return w;
      }
    }
  }

  /** Settles a reservation of {@code reserved} made in {@code w} to the real cost {@code actual}. */
  public void settle(Window w, long reserved, long actual) {
    if (actual != reserved) {
      w.used.addAndGet(actual - reserved);
    }
  }

  /** Returns what was spent and reserved in the period holding {@code now}, in currency. */
  public double spent(Instant now) {
    return current(now).used.get() / NANOS;
  }

  /** Returns the limit. */
  public SpendLimit limit() {
    return limit;
  }

  private Window current(Instant now) {
    while (true) {
      Window w = window.get();
      if (now.isBefore(w.end) && !now.isBefore(w.start)) {
        return w;
      }
      if (now.isBefore(w.start)) {
        return w; // the clock went back: keep the later period rather than reopen an old one
      }
      Window next = new Window(limit.periodStart(now), limit.periodEnd(now));
      if (window.compareAndSet(w, next)) {
        return next;
      }
    }
  }

  private SpendLimitExceededException exceeded(long used, long needed, Instant resetsAt, Instant now) {
    String message = String.format(Locale.ROOT,
        "%s is over its spend limit of %.4f per %s: %.4f spent or reserved this period, and this request may cost up to %.4f;"
            + " it resets at %s; raise spend_limit, wait, or give the route a fallback",
        scope, limit.amount(), limit.period(), used / NANOS, needed / NANOS, resetsAt);
    return new SpendLimitExceededException(message, modelId, scope, limit.amount(), used / NANOS, needed / NANOS, resetsAt, now);
  }
}
