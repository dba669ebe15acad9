package io.modelmux;

/**
 * Hears what happens to each request: its start, each attempt on a model (the last one served
 * it; earlier ones failed, or skipped a model whose circuit was open, whose queue was full or
 * which overflowed to an equivalent), and its end with a response or an error. Copies a
 * route's shadow sends are heard too, {@linkplain RequestInfo#shadow() marked}; answers from
 * the response cache have no attempt.
 *
 * <p>Register listeners with {@link MultiModelManager.Builder#requestListener}. Each listener
 * hears a request's events in order, on a thread of its own, never on the caller's: a listener
 * that is slow or throws never fails or delays a request. A listener that falls more than its
 * queue behind (10,000 events) misses events, which are counted ({@link
 * ManagerMetrics#listenerEventsDropped()}) and logged (one WARN a minute); one that throws is
 * logged (its first failure at WARN, then DEBUG) and keeps hearing later events. {@link
 * MultiModelManager#close()} delivers the events of requests that ended before it, waiting at
 * most its close timeout.
 *
 * <p>All methods have empty defaults: implement those you need.
 */
public interface RequestListener {
  /** A request started (before its model was chosen). */
  default void onStart(RequestInfo request) {}

  /**
   * An attempt on one model ended: {@link Attempt#outcome()} says how. A request served at the
   * first try has one attempt, {@link Attempt.Outcome#SUCCEEDED}.
   */
  default void onAttempt(RequestInfo request, Attempt attempt) {}

  /** The request was answered (a cancelled stream too, with {@link FinishReason#CANCELLED}). */
  default void onResponse(RequestInfo request, GenerateResponse response) {}

  /** The request failed with {@code error}, after the attempts heard before. */
  default void onError(RequestInfo request, ModelMuxException error) {}
}
