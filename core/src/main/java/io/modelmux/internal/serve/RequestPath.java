package io.modelmux.internal.serve;

import io.github.resilience4j.retry.Retry;
import io.modelmux.Attempt;
import io.modelmux.BackendException;
import io.modelmux.Cost;
import io.modelmux.CircuitOpenException;
import io.modelmux.ContentFilteredException;
import io.modelmux.ContextLengthExceededException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelMuxException;
import io.modelmux.OverloadedException;
import io.modelmux.RequestInfo;
import io.modelmux.Routing;
import io.modelmux.SpendLimitExceededException;
import io.modelmux.ShadowResult;
import io.modelmux.UnknownModelException;
import io.modelmux.Usage;
import io.modelmux.internal.cache.CacheKey;
import io.modelmux.internal.cache.ResponseCache;
import io.modelmux.internal.guard.ErrorClass;
import io.modelmux.internal.guard.ModelGuard;
import io.modelmux.internal.memory.Lease;
import io.modelmux.internal.memory.MemoryScheduler;
import io.modelmux.internal.observe.CostBook;
import io.modelmux.internal.observe.RequestEvents;
import io.modelmux.internal.observe.SpendBook;
import io.modelmux.internal.observe.RouteMeters;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.internal.route.Plan;
import io.modelmux.internal.route.Planner;
import io.modelmux.internal.route.RouteEvents;
import io.modelmux.internal.route.Router;
import io.modelmux.internal.route.Shadowing;
import io.modelmux.spi.Breaker;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.Prices;
import io.modelmux.spi.PromptText;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The request path, one method for every way of serving: {@code generate}, {@code
 * generateAsync} (which runs {@link #generate} on an executor) and {@code stream} all go
 * through {@link #serve}, whose body reads like the architecture:
 *
 * <pre>
 * plan → (cache: a later stage) → for each candidate (the target, then a route's fallbacks,
 *   then the target's overflow_to models):
 *   overflow? (a model in no state to serve passes its request to an equivalent, before any call)
 *   → guard (circuit, slot) → lease → adapter → record → release
 *   → retry the same model (its Retry-After, else backoff; never past the deadline, never more
 *     than its max_attempts in the request), or the route's model for the failure's kind
 *     (on_context_length, on_content_filter), or the next candidate (a retryable failure, an
 *     open circuit, a full queue), or fail with the earlier failures suppressed
 * </pre>
 *
 * <p>Which failures retry or fail over is {@link ErrorClass}'s decision; the breaker, the retry
 * and the concurrency limit are each model's {@link ModelGuard}. A stream retries or fails over
 * only while no piece has reached the caller.
 *
 * <p>A stream differs only in its sink: the adapter writes pieces to the {@link StreamSession},
 * which checks the deadline between pieces and drops them after a cancel. The lease is returned
 * before the caller is told the outcome, so a finished request holds nothing. Thread-safe.
 */
public final class RequestPath {
  /**
   * Whether the record stage writes each model's and route's figures: always, except in the
   * benchmark that measures what they cost ({@code -Dmodelmux.meters=off}; {@code
   * ManagerOverheadBenchmark.managerWithoutMeters}).
   */
  private static final boolean METERS = !"off".equals(System.getProperty("modelmux.meters"));

  private final Router router;
  private final MemoryScheduler scheduler;
  private final Clock clock;
  private final BooleanSupplier closed;
  private final Executor shadows;
  private final RouteEvents events;
  private final CountDownLatch closing;
  private final RequestEvents requestEvents;
  private final @Nullable ResponseCache cache;
  private final CostBook costs;
  private volatile Runnable requestEnded = () -> {};

  /**
   * @param router plans each request
   * @param scheduler leases the planned models
   * @param clock for deadlines
   * @param closed says whether the manager is closed, so that a request racing {@code close()}
   *     fails as closed rather than as an unknown model
   * @param shadows where shadow copies run, off the caller's path
   * @param events where shadow results go
   * @param closing counted down by {@code close()}: ends the waits between attempts
   * @param requestEvents where each request's start, attempts and end go
   * @param cache the response cache, or null for none
   * @param costs the manager's cost totals
   */
  public RequestPath(
      Router router, MemoryScheduler scheduler, Clock clock, BooleanSupplier closed, Executor shadows, RouteEvents events,
      CountDownLatch closing, RequestEvents requestEvents, @Nullable ResponseCache cache, CostBook costs) {
    this.router = router;
    this.scheduler = scheduler;
    this.clock = clock;
    this.closed = closed;
    this.shadows = shadows;
    this.events = events;
    this.closing = closing;
    this.requestEvents = requestEvents;
    this.cache = cache;
    this.costs = costs;
  }

  /** Sets what runs after each caller's request ends (the periodic benchmark's count). */
  public void onRequestEnded(Runnable requestEnded) {
    this.requestEnded = requestEnded;
  }

  /**
   * Serves {@code request} whole.
   *
   * @throws ModelMuxException on failure, typed
   * @throws IllegalStateException if the manager is closed
   */
  public GenerateResponse generate(GenerateRequest request) {
    return serve(request, null, null);
  }

  /**
   * Serves {@code request} into {@code session}, ending it exactly once: with the response, or
   * with the failure (a request that reached its turn after {@code close()} fails as closed).
   */
  public void stream(GenerateRequest request, StreamSession session) {
    GenerateResponse response;
    try {
      response = serve(request, session, null);
    } catch (IllegalStateException e) {
      session.fail(closedWhileWaiting(e));
      return;
    } catch (ModelMuxException e) {
      session.fail(e);
      return;
    } catch (RuntimeException e) {
      session.fail(new ModelMuxException("request failed: " + MessageText.escape(e.toString()), e));
      return;
    }
    session.complete(response);
  }

  /**
   * Takes a lease on the model {@code request} names, for loading it without serving a request.
   *
   * @return the lease; close it
   */
  public Lease lease(GenerateRequest request) {
    checkOpen();
    Lease lease;
    do {
      lease = leaseTarget(plan(request, null).target(), request, Counting.NONE);
    } while (lease == null);
    return lease;
  }

  /**
   * Serves a benchmark's request on {@code model} alone: its spend limit, its circuit and slot,
   * its lease, one call, no retry, no fallback, no cache; counted in none of the model's figures
   * (its latency still informs automatic selection; its cost counts against its spend limit).
   * Streams into {@code session} when given. The request must carry {@code max_tokens}.
   *
   * @throws ModelMuxException on failure, typed (an open circuit, a full queue, the backend's)
   */
  public GenerateResponse probe(RegisteredModel model, GenerateRequest request, @Nullable StreamSession session) {
    checkOpen();
    long start = System.nanoTime();
    if (session != null) {
      session.start(start);
    }
    // its spend counts against the model's limit like any call's (a probe is money spent too)
    Reservation reserved = model.spend != null && model.prices != null
        ? Reservation.take(model.spend, null, worstCase(model, request), clock.instant())
        : null;
    long spent = 0;
    try {
      ModelGuard guard = model.guard;
      if (!guard.tryEnter()) {
        throw guard.circuitOpen();
      }
      OverloadedException overloaded = takeSlot(guard, request, null);
      if (overloaded != null) {
        throw overloaded;
      }
      try {
        GenerateResponse r = attempt(router.direct(model), model, request, session, Counting.NONE, start, start);
        if (r == null) {
          throw new UnknownModelException(
              "model '" + model.ref + "' was unregistered during the benchmark", model.ref.id(), List.of(), null);
        }
        spent = r.cost().map(c -> CostBook.nanos(c.amount())).orElse(0L);
        return r;
      } finally {
        guard.releaseSlot();
      }
    } finally {
      if (reserved != null) {
        reserved.settle(spent);
      }
    }
  }

  /** How a request counts on the model that serves it. */
  private enum Counting {
    NONE,
    REQUEST,
    SHADOW
  }

  /**
   * The path.
   *
   * @param shadow the shadow's planner, for a copy a route's shadow sends (it counts apart and
   *     is not copied again); null for a caller's request
   */
  private GenerateResponse serve(GenerateRequest request, @Nullable StreamSession session, @Nullable Planner shadow) {
    long start = System.nanoTime();
    if (session != null) {
      session.start(start);
    }
    if (!requestEvents.active()) {
      return serve(request, session, shadow, start, null); // nobody listens: no event is made
    }
    RequestInfo info = requestEvents.start(request, session != null, shadow != null, start);
    GenerateResponse response;
    try {
      response = serve(request, session, shadow, start, info);
    } catch (ModelMuxException e) {
      requestEvents.error(info, e);
      throw e;
    } catch (IllegalStateException e) {
      requestEvents.error(info, closedWhileWaiting(e));
      throw e;
    }
    requestEvents.response(info, response);
    return response;
  }

  private GenerateResponse serve(
      GenerateRequest request, @Nullable StreamSession session, @Nullable Planner shadow, long start, @Nullable RequestInfo info) {
    Counting counting = shadow == null ? Counting.REQUEST : Counting.SHADOW;
    checkOpen();
    Plan plan = plan(request, shadow); // plan
    RouteMeters route = shadow == null && METERS ? plan.route() : null;
    try {
      ResponseCache c = cache;
      GenerateResponse response = c != null && shadow == null && request.isCacheable()
          ? cached(c, request, session, start, info, plan) // cache
          : serve(request, session, shadow, start, info, plan, counting);
      if (route != null) {
        route.served(System.nanoTime() - start);
      }
      Cost cost = response.cost().orElse(null);
      if (cost != null) {
        costs.record(response, request, shadow != null);
        if (route != null) {
          route.cost(CostBook.nanos(cost.amount()));
        }
      }
      return response;
    } catch (RuntimeException e) {
      if (route != null) {
        route.failed();
      }
      throw e;
    } finally {
      if (shadow == null) {
        requestEnded.run();
      }
    }
  }

  private GenerateResponse serve(
      GenerateRequest request, @Nullable StreamSession session, @Nullable Planner shadow, long start, @Nullable RequestInfo info,
      Plan plan, Counting counting) {
    if (plan.shadow() != null && shadow == null) {
      copyToShadow(plan.shadow(), request); // off the caller's path
    }
    RegisteredModel model = plan.target();
    int candidate = 0; // 0: the plan's target; i: its fallback i - 1
    Trial trial = null; // what failed so far: made at the first failure, so a success allocates none
    long attemptStart = start; // the first attempt starts with the request: one clock read fewer
    while (true) {
      if (trial != null) {
        attemptStart = System.nanoTime(); // a retry or the next candidate
      }
      if (model.overflow.length > 0 && (trial == null || !trial.overflowed)) {
        RegisteredModel to = overflow(model, request); // overflow_to: passed over before any call
        if (to != null) {
          if (trial == null) {
            trial = new Trial(info, counting);
          }
          trial.overflowed(model, attemptStart);
          fellBack(model, counting);
          model = to;
          continue;
        }
      }
      ModelMuxException failure;
      Attempt.Outcome skipped;
      ModelGuard guard = model.guard;
      GenerateRequest sent = request;
      Reservation reserved = null;
      failure = null;
      SpendBook routeSpend = counting == Counting.REQUEST && plan.route() != null ? plan.route().spend() : null;
      if ((model.spend != null || routeSpend != null) && model.prices != null) { // spend limits: reserve the worst case
        if (request.options().maxTokens().isEmpty()) {
          sent = request.toBuilder().maxTokens(RESERVED_TOKENS).build(); // so that the worst case bounds the answer
        }
        try {
          reserved = Reservation.take(model.spend, routeSpend, worstCase(model, sent), clock.instant());
        } catch (SpendLimitExceededException e) {
          failure = e;
        }
      }
      try {
        if (failure != null) {
          skipped = Attempt.Outcome.OVER_BUDGET;
        } else if (!guard.tryEnter()) { // guard: the circuit
          failure = guard.circuitOpen();
          skipped = Attempt.Outcome.CIRCUIT_OPEN;
        } else if ((failure = takeSlot(guard, request, trial)) != null) { // guard: the concurrency limit
          skipped = Attempt.Outcome.OVERLOADED;
        } else {
          skipped = null;
          try {
            GenerateResponse response = attempt(plan, model, sent, session, counting, start, attemptStart);
            if (response != null) {
              if (reserved != null) {
                reserved.settle(response.cost().map(c -> CostBook.nanos(c.amount())).orElse(0L));
                reserved = null;
              }
              if (trial != null) {
                return trial.succeeded(response, model, attemptStart);
              }
              if (info != null) {
                requestEvents.attempt(info, new Attempt(model.ref, Attempt.Outcome.SUCCEEDED, null, since(attemptStart)));
              }
              return response;
            }
            // the model began draining after it was planned (it left the registry): plan again
            model = candidate == 0 ? (plan = plan(request, shadow)).target() : plan.fallback(candidate - 1, request);
            if (model == null) {
              throw trial == null ? gone(plan, candidate) : trial.end(gone(plan, candidate));
            }
            continue;
          } catch (ModelMuxException e) {
            failure = e;
          } finally {
            guard.releaseSlot();
          }
        }
      } finally {
        if (reserved != null) {
          reserved.settle(0); // no answer: nothing known to be spent
        }
      }
      if (trial == null) {
        trial = new Trial(info, counting);
      }
      trial.failed(model, failure, skipped, attemptStart);
      if (skipped != null && model == plan.target()) {
        plan.record(true, System.nanoTime() - attemptStart); // a canary side that turns requests away fails them
      }
      // retry the same model, or move to the next candidate, or fail
      checkOpenOr(trial);
      if (isPast(request)) {
        throw trial.end(failure instanceof DeadlineExceededException ? failure : deadline(model, request.deadline().orElse(null)));
      }
      if (session != null && session.delivered()) {
        throw trial.end(broken(model, failure, session)); // a stream fails over only before its first piece reached the caller
      }
      if (skipped == null && ErrorClass.retryable(failure)) {
        long wait = trial.retryWait(model, failure);
        if (wait >= 0 && fitsDeadline(request, wait)) {
          guard.retrying();
          pause(wait, trial);
          continue;
        }
      }
      if (failure instanceof ContextLengthExceededException || failure instanceof ContentFilteredException) {
        RegisteredModel elsewhere = trial.errorRouteTaken(failure) ? null : plan.errorRoute(failure, request);
        if (elsewhere != null && elsewhere != model) {
          fellBack(model, counting);
          model = elsewhere; // the route's model for this kind of failure
          continue;
        }
      }
      if (!ErrorClass.failsOver(failure)) {
        throw trial.end(failure);
      }
      RegisteredModel next = null;
      while (next == null && candidate < plan.fallbackCount()) {
        next = plan.fallback(candidate++, request);
        if (next != null && trial.spent(next)) {
          next = null; // named again, but its attempts for this request are used up
        }
      }
      if (next == null) {
        next = trial.nextEquivalent(plan.target()); // then the models the target overflows to, once each
      }
      if (next != null) {
        fellBack(model, counting);
        model = next;
        continue;
      }
      Instant probe = trial.allOpen() ? trial.earliestProbe() : null;
      if (probe != null && request.deadline().isPresent() && probe.isBefore(request.deadline().get())
          && !trial.spent(plan.target()) && !trial.waitedForProbe) {
        // every candidate's circuit is open and one lets a probe through before the deadline:
        // wait for it, once (a probe taken by another request does not make this one wait again)
        trial.waitedForProbe = true;
        pause(Math.max(0, Duration.between(clock.instant(), probe).toMillis()) + 1, trial);
        candidate = 0;
        model = plan.target();
        trial.restart();
        continue;
      }
      throw trial.end(failure);
    }
  }

  /**
   * Serves a cacheable request: the kept answer when there is one; else the answer an identical
   * request in flight is making, waited for; else its own, kept when the plan's target gave it
   * in full (a fallback's answer, a cancelled or cut one is not kept).
   */
  private GenerateResponse cached(
      ResponseCache cache, GenerateRequest request, @Nullable StreamSession session, long start, @Nullable RequestInfo info,
      Plan plan) {
    RegisteredModel target = plan.target();
    CacheKey key = cache.key(target, request);
    GenerateResponse kept = cache.get(key);
    if (kept != null) {
      target.meters.cache(true);
      return replay(kept, session, start, plan.routing(), costs);
    }
    CompletableFuture<@Nullable GenerateResponse> mine = new CompletableFuture<>();
    CompletableFuture<@Nullable GenerateResponse> leader = cache.lead(key, mine);
    if (leader != null) {
      GenerateResponse made = awaitLeader(leader, request, session);
      if (made != null) {
        cache.coalesced();
        target.meters.cache(true);
        return replay(made, session, start, plan.routing(), costs);
      }
      if (session != null && session.isCancelled()) {
        return cancelled(target, request, session, start, plan.routing());
      }
      target.meters.cache(false);
      return serve(request, session, null, start, info, plan, Counting.REQUEST); // the leader failed: on its own
    }
    target.meters.cache(false);
    GenerateResponse shared = null;
    try {
      GenerateResponse response = serve(request, session, null, start, info, plan, Counting.REQUEST);
      if (keeps(response, target)) {
        cache.put(key, response);
        shared = response;
      }
      return response;
    } finally {
      mine.complete(shared); // null: those waiting make their own call
      cache.land(key, mine);
    }
  }

  /** Returns whether an answer may be kept: the target's own, whole. */
  private static boolean keeps(GenerateResponse r, RegisteredModel target) {
    return !r.cached()
        && r.model().equals(target.ref)
        && !target.residency.isDraining()
        && (r.finishReason() == FinishReason.STOP || r.finishReason() == FinishReason.LENGTH);
  }

  /**
   * Waits for an identical request's answer: returns it, or null when that request failed, its
   * answer cannot be shared, this request's deadline passed, its stream was cancelled or the
   * manager is closing (the caller then acts on its own).
   */
  private @Nullable GenerateResponse awaitLeader(
      CompletableFuture<@Nullable GenerateResponse> leader, GenerateRequest request, @Nullable StreamSession session) {
    Instant deadline = request.deadline().orElse(null);
    while (true) {
      long wait = 100;
      if (deadline != null) {
        wait = Math.min(wait, Duration.between(clock.instant(), deadline).toMillis());
        if (wait <= 0) {
          return null;
        }
      }
      try {
        return leader.get(wait, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        if (closed.getAsBoolean() || (session != null && session.isCancelled())) {
          return null;
        }
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
        return null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ModelMuxException("interrupted while waiting for an identical request's answer", e);
      }
    }
  }

  /**
   * Returns a kept answer for this request: its text (as pieces for a stream), marked as from the
   * cache, with this request's latency and routing and no attempt.
   */
  private static GenerateResponse replay(
      GenerateResponse kept, @Nullable StreamSession session, long start, Routing routing, CostBook costs) {
    Cost made = kept.cost().orElse(null);
    Cost none = made == null ? null : new Cost(0, made.inputTokens(), made.outputTokens(), made.estimated());
    if (session != null) {
      String text = kept.text();
      int from = 0;
      while (from < text.length() && !session.isCancelled()) {
        int to = nextPiece(text, from);
        session.accept(text.substring(from, to));
        from = to;
      }
      if (session.isCancelled()) {
        return GenerateResponse.builder(kept.model()).routing(routing).text(session.text())
            .finishReason(FinishReason.CANCELLED).cached(true).cost(none)
            .latency(Duration.ofNanos(System.nanoTime() - start)).timeToFirstToken(session.timeToFirstToken()).build();
      }
    }
    if (made != null) {
      costs.saved(made);
    }
    Duration latency = Duration.ofNanos(System.nanoTime() - start);
    return GenerateResponse.builder(kept.model())
        .routing(routing)
        .text(kept.text())
        .finishReason(kept.finishReason())
        .usage(kept.usage().orElse(null))
        .backendModel(kept.backendModel().orElse(null))
        .cached(true)
        .cost(none)
        .latency(latency)
        .timeToFirstToken(session != null && session.timeToFirstToken() != null ? session.timeToFirstToken() : latency)
        .build();
  }

  /** Returns the end of the piece that starts at {@code from}: its leading spaces and one word. */
  static int nextPiece(String text, int from) {
    int i = from;
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    return i;
  }

  /**
   * Takes a slot of the model's concurrency limit; returns the overload that turned the request
   * away (the request moves on), or null with the slot taken. On any failure the circuit's
   * permission is given back.
   */
  private @Nullable OverloadedException takeSlot(ModelGuard guard, GenerateRequest request, @Nullable Trial trial) {
    try {
      guard.acquireSlot(request.deadline().orElse(null));
      return null;
    } catch (OverloadedException e) {
      guard.abandoned();
      return e;
    } catch (RuntimeException e) {
      guard.abandoned();
      throw trial == null ? e : trial.end(e);
    }
  }

  /**
   * One attempt on {@code model}, holding its slot: lease → adapter → record → release.
   *
   * @return the response, or null when the model began draining before it could be leased
   */
  private @Nullable GenerateResponse attempt(
      Plan plan, RegisteredModel model, GenerateRequest request, @Nullable StreamSession session, Counting counting,
      long start, long attemptStart) {
    ModelGuard guard = model.guard;
    Lease leased;
    try {
      leased = leaseTarget(model, request, counting); // lease
    } catch (RuntimeException e) {
      guard.abandoned();
      throw e;
    }
    if (leased == null) {
      guard.abandoned();
      return null;
    }
    try (Lease lease = leased) {
      count(model, counting, false);
      try {
        checkDeadline(model, request);
        if (plan.hasContextRoute() && model == plan.target()) {
          checkContext(model, request); // a prompt the model's tokenizer counts as too long goes elsewhere before any call
        }
        Completion c = call(model, request, session); // adapter
        GenerateResponse response = record(model, request, c, start, session, plan.routing()); // record
        long nanos = System.nanoTime() - attemptStart;
        guard.succeeded(nanos);
        outcome(plan, model, false, nanos);
        if (counting == Counting.REQUEST && METERS) {
          model.meters.served(nanos, response);
        }
        Cost cost = response.cost().orElse(null);
        if (cost != null && counting != Counting.NONE) {
          model.meters.cost(CostBook.nanos(cost.amount()), counting == Counting.SHADOW);
        }
        return response;
      } catch (RuntimeException e) {
        ModelMuxException failure = failure(model, request, session, e);
        if (failure == null) {
          guard.abandoned();
          return cancelled(model, request, session, start, plan.routing()); // the cancel closed what the adapter read
        }
        long nanos = System.nanoTime() - attemptStart;
        guard.failed(nanos, failure);
        count(model, counting, true);
        outcome(plan, model, true, nanos);
        throw failure;
      }
    } // release
  }

  /** What a request tried so far, made at its first failure. */
  private final class Trial {
    private final @Nullable RequestInfo info;
    private final Counting counting;
    private final List<Attempt> attempts = new ArrayList<>(4);
    private final List<ModelMuxException> failures = new ArrayList<>(4);
    private final List<RegisteredModel> open = new ArrayList<>(2); // candidates found open since the last restart
    private boolean onlyOpen = true;
    // one retry context per model for the whole request, so that no model gets more than its
    // max_attempts however often the request comes back to it (a probe wait, a repeated name)
    private final Map<RegisteredModel, Retry.AsyncContext<Object>> retries = new IdentityHashMap<>(4);

    Trial(@Nullable RequestInfo info, Counting counting) {
      this.info = info;
      this.counting = counting;
    }

    private void add(Attempt attempt) {
      attempts.add(attempt);
      if (info != null) {
        requestEvents.attempt(info, attempt);
      }
    }

    void failed(RegisteredModel model, ModelMuxException failure, Attempt.@Nullable Outcome skipped, long attemptStart) {
      Attempt.Outcome outcome = skipped != null ? skipped : Attempt.Outcome.FAILED;
      add(new Attempt(model.ref, outcome, failure.getClass().getSimpleName(), failure.getMessage(), since(attemptStart)));
      failures.add(failure);
      if (counting == Counting.REQUEST) {
        model.meters.failed(failure);
      }
      if (skipped == Attempt.Outcome.CIRCUIT_OPEN) {
        open.add(model);
      } else {
        onlyOpen = false;
      }
    }

    /** Returns the wait before retrying {@code model} after {@code failure}, or -1 for none (Resilience4j decides). */
    long retryWait(RegisteredModel model, ModelMuxException failure) {
      return retries.computeIfAbsent(model, m -> m.guard.retryContext()).onError(failure);
    }

    private boolean overflowed;
    private boolean waitedForProbe;
    private int equivalentsTried;
    private final List<RegisteredModel> tried = new ArrayList<>(4);

    void overflowed(RegisteredModel model, long attemptStart) {
      overflowed = true;
      tried.add(model);
      add(new Attempt(model.ref, Attempt.Outcome.OVERFLOWED, null, since(attemptStart)));
    }

    /** Returns the next model {@code target} overflows to that was not tried yet, or null. */
    @Nullable RegisteredModel nextEquivalent(RegisteredModel target) {
      RegisteredModel[] equivalents = target.overflow;
      while (equivalentsTried < equivalents.length) {
        RegisteredModel m = equivalents[equivalentsTried++];
        if (!tried.contains(m) && !failedOn(m)) {
          return m;
        }
      }
      return null;
    }

    /** Returns whether {@code m} was called as often as its retry policy allows for one request. */
    boolean spent(RegisteredModel m) {
      int calls = 0;
      for (Attempt a : attempts) {
        if (a.outcome() == Attempt.Outcome.FAILED && a.model().equals(m.ref)) {
          calls++;
        }
      }
      return calls >= m.spec.retry().maxAttempts();
    }

    private boolean failedOn(RegisteredModel m) {
      for (Attempt a : attempts) {
        if (a.model().equals(m.ref)) {
          return true;
        }
      }
      return false;
    }

    private boolean contextRouted;
    private boolean filterRouted;

    /** Returns whether the error route for {@code failure}'s kind was taken already, and marks it taken. */
    boolean errorRouteTaken(ModelMuxException failure) {
      boolean context = failure instanceof ContextLengthExceededException;
      boolean taken = context ? contextRouted : filterRouted;
      if (context) {
        contextRouted = true;
      } else {
        filterRouted = true;
      }
      return taken;
    }

    boolean allOpen() {
      return onlyOpen && !open.isEmpty();
    }

    @Nullable Instant earliestProbe() {
      Instant earliest = null;
      for (RegisteredModel m : open) {
        Instant at = m.guard.probeAt();
        if (at != null && (earliest == null || at.isBefore(earliest))) {
          earliest = at;
        }
      }
      return earliest;
    }

    /** Starts the candidates over after waiting for a probe. */
    void restart() {
      open.clear();
      onlyOpen = true;
    }

    GenerateResponse succeeded(GenerateResponse response, RegisteredModel model, long attemptStart) {
      add(new Attempt(model.ref, Attempt.Outcome.SUCCEEDED, null, since(attemptStart)));
      return response.toBuilder().attempts(attempts).build();
    }

    /**
     * Returns the failure the caller gets: when every candidate was skipped as open, one {@link
     * CircuitOpenException} naming each and when it may close; else {@code last}, with the
     * earlier failures suppressed in it.
     */
    RuntimeException end(RuntimeException last) {
      if (allOpen() && last instanceof CircuitOpenException) {
        last = allOpenError();
      }
      for (ModelMuxException f : failures) {
        if (f != last && !Arrays.asList(last.getSuppressed()).contains(f)) {
          last.addSuppressed(f);
        }
      }
      return last;
    }

    private CircuitOpenException allOpenError() {
      Map<String, Breaker> breakers = new LinkedHashMap<>();
      for (RegisteredModel m : open) {
        breakers.put("'" + m.ref + "'", m.guard.breaker());
      }
      return Breaker.allOpen("every model that could serve the request", open.get(0).ref.id(), breakers, clock);
    }

  }

  private static Duration since(long nanos) {
    return Duration.ofNanos(Math.max(0, System.nanoTime() - nanos));
  }

  private boolean isPast(GenerateRequest request) {
    Instant deadline = request.deadline().orElse(null);
    return deadline != null && !clock.instant().isBefore(deadline);
  }

  private boolean fitsDeadline(GenerateRequest request, long waitMillis) {
    Instant deadline = request.deadline().orElse(null);
    return deadline == null || clock.instant().plusMillis(waitMillis).isBefore(deadline);
  }

  /** Waits {@code millis} before the next attempt; {@code close()} ends the wait. */
  private void pause(long millis, Trial trial) {
    if (millis <= 0) {
      return;
    }
    try {
      if (closing.await(millis, TimeUnit.MILLISECONDS)) {
        throw trial.end(closedError());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw trial.end(new ModelMuxException("interrupted while waiting to retry", e));
    }
  }

  private void checkOpenOr(Trial trial) {
    if (closed.getAsBoolean()) {
      throw trial.end(closedError());
    }
  }

  /**
   * Returns the failure of a stream that broke after pieces reached the caller: the adapter's
   * own when it carries the text delivered, else a {@link BackendException} that does, with the
   * adapter's failure as its cause. Never a normal finish, never text from a second model.
   */
  private static ModelMuxException broken(RegisteredModel model, ModelMuxException failure, StreamSession session) {
    String delivered = session.text();
    if (failure instanceof BackendException && ((BackendException) failure).partialText().equals(delivered)) {
      return failure;
    }
    return new BackendException(
        "the stream from model '" + model.ref + "' broke after " + delivered.length() + " characters reached the caller ("
            + failure.getClass().getSimpleName() + ": " + failure.getMessage() + "); it is not retried or sent elsewhere"
            + " once text was delivered; the text so far is in partialText()",
        model.ref.id(), false, failure.statusCode().orElse(-1), null, delivered, failure);
  }

  /** How recently a model must have been used for displacing it to send a request elsewhere. */
  private static final Duration RECENT = Duration.ofSeconds(60);

  /**
   * Returns the model {@code model}'s request goes to instead, before any call, when {@code
   * model} is in no state to take it — its backend asked to wait (rate limited), it is cold and
   * loading it would evict a model used in the last minute, or its queue (and load) would pass
   * the request's deadline — and one of the models it overflows to is in a state to; else null.
   */
  private @Nullable RegisteredModel overflow(RegisteredModel model, GenerateRequest request) {
    if (!mustOverflow(model, request)) {
      return null;
    }
    for (RegisteredModel m : model.overflow) {
      if (m.guard.mayEnter() && !mustOverflow(m, request)) {
        return m;
      }
    }
    return null;
  }

  private boolean mustOverflow(RegisteredModel model, GenerateRequest request) {
    if (model.guard.isRateLimited() || scheduler.loadWouldDisplace(model, RECENT)) {
      return true;
    }
    Instant deadline = request.deadline().orElse(null);
    if (deadline == null) {
      return false;
    }
    long wait = model.guard.expectedQueueNanos(model.latency.median());
    if (wait < 0) {
      return false; // nothing to judge by yet
    }
    if (model.residency.tier() != io.modelmux.Tier.ACTIVE) {
      Duration load = model.residency.lastLoadTime();
      wait += load == null ? 0 : load.toNanos();
    }
    return wait > 0 && clock.instant().plusNanos(wait).isAfter(deadline);
  }

  /**
   * Throws {@link ContextLengthExceededException} when the model's own tokenizer counts the
   * prompt as longer than its context (it keeps room for one token of answer).
   */
  private static void checkContext(RegisteredModel model, GenerateRequest request) {
    OptionalInt context = model.adapter.contextLength();
    if (context.isEmpty()) {
      return;
    }
    OptionalInt tokens = model.adapter.promptTokens(request);
    if (tokens.isPresent() && tokens.getAsInt() > context.getAsInt() - 1) {
      throw new ContextLengthExceededException(
          "the prompt takes " + tokens.getAsInt() + " tokens of model '" + model.ref + "', whose context is "
              + context.getAsInt() + "; not sent to it: the route sends such prompts to its on_context_length model",
          model.ref.id(), -1, tokens.getAsInt(), context.getAsInt(), null);
    }
  }

  private static UnknownModelException gone(Plan plan, int candidate) {
    String what = candidate == 0 ? "its model" : "its fallback " + candidate;
    return new UnknownModelException(
        "the request's plan (" + plan.routing() + ") led to " + what + ", which is not registered now; retry",
        plan.target().ref.id(), List.of(), null);
  }

  /** Counts that a caller's request left {@code model} for another. */
  private static void fellBack(RegisteredModel model, Counting counting) {
    if (counting == Counting.REQUEST) {
      model.meters.fellBack();
    }
  }

  private static void count(RegisteredModel model, Counting counting, boolean failed) {
    if (counting == Counting.REQUEST) {
      (failed ? model.failures : model.requests).increment();
    } else if (counting == Counting.SHADOW) {
      (failed ? model.shadowFailures : model.shadowRequests).increment();
    }
  }

  /**
   * Records an attempt's outcome where routing reads it: the model's latencies, and the plan's
   * recorder (a canary), which judges the target it chose, not a fallback.
   */
  private static void outcome(Plan plan, RegisteredModel model, boolean failed, long nanos) {
    if (!failed) {
      model.latency.record(nanos);
    }
    if (model == plan.target()) {
      plan.record(failed, nanos);
    }
  }

  /**
   * Sends a copy of {@code request} to the shadow, on the shadow executor: never waits, and
   * drops (and counts) the copy when the shadow's cap of calls at once is reached or the
   * executor refuses it.
   */
  private void copyToShadow(Shadowing shadow, GenerateRequest request) {
    if (!shadow.tryStart()) {
      return;
    }
    try {
      shadows.execute(() -> runShadow(shadow, request));
    } catch (RejectedExecutionException e) {
      shadow.refused();
    }
  }

  private void runShadow(Shadowing shadow, GenerateRequest request) {
    long start = System.nanoTime();
    boolean failed = true;
    try {
      Planner target = shadow.target(); // read once: it may be unbound by a concurrent unregister
      if (target == null) {
        throw new UnknownModelException(
            "the shadow '" + shadow.targetName() + "' of route '" + shadow.route() + "' is not registered now",
            shadow.targetName(), List.of(), null);
      }
      GenerateResponse r = serve(request, null, target);
      failed = false;
      events.shadow(new ShadowResult(shadow.route(), shadow.targetName(), r.model(), r.text(), r.latency(), null));
    } catch (RuntimeException e) {
      ModelMuxException error =
          e instanceof ModelMuxException
              ? (ModelMuxException) e
              : new ModelMuxException("shadow call failed: " + MessageText.escape(e.toString()), e); // e.g. the manager closed
      events.shadow(new ShadowResult(shadow.route(), shadow.targetName(), null, null, Duration.ofNanos(System.nanoTime() - start), error));
    } finally {
      shadow.finished(failed);
    }
  }

  /** Plans {@code request} with {@code planner}, or with the router when it is null. */
  private Plan plan(GenerateRequest request, @Nullable Planner planner) {
    try {
      return planner == null ? router.plan(request) : planner.plan(request);
    } catch (UnknownModelException | InvalidRequestException e) {
      checkOpen(); // close() empties the registry: a request racing it fails as closed
      throw e;
    }
  }

  /**
   * Leases the plan's target; returns null when the target began draining after it was planned,
   * and the caller plans again (the model left the registry before draining began).
   */
  private @Nullable Lease leaseTarget(RegisteredModel model, GenerateRequest request, Counting counting) {
    try {
      Lease lease = model.residency.isDraining() ? null : leaseOrWait(model, request);
      if (lease == null) {
        Thread.onSpinWait();
      }
      return lease;
    } catch (ModelMuxException e) {
      checkOpen();
      count(model, counting, false); // a request that could not even get its model still counts
      count(model, counting, true);
      throw e;
    }
  }

  private @Nullable Lease leaseOrWait(RegisteredModel model, GenerateRequest request) {
    Lease lease = scheduler.tryLease(model); // lock-free when the model is resident
    if (lease != null || model.residency.isDraining()) {
      return lease;
    }
    checkDeadline(model, request);
    return scheduler.lease(model, request.deadline().orElse(null));
  }

  private Completion call(RegisteredModel model, GenerateRequest request, @Nullable StreamSession session) {
    boolean streams = session != null && model.adapter.info().supports(Capability.STREAMING);
    Completion c = streams ? model.adapter.stream(request, session) : model.adapter.generate(request);
    if (c == null) {
      throw noCompletion(model);
    }
    if (session != null && !streams) {
      session.accept(c.text());
    }
    return c;
  }

  private GenerateResponse record(
      RegisteredModel model, GenerateRequest request, Completion c, long start, @Nullable StreamSession session, Routing routing) {
    if (session == null) {
      return response(model, request, c, start, c.timeToFirstToken().orElse(null), routing);
    }
    if (session.deadlineExceeded()) {
      throw deadline(model, request.deadline().orElse(null));
    }
    if (session.isCancelled()) {
      return cancelled(model, request, session, start, routing);
    }
    return response(model, request, c, start, session.timeToFirstToken(), routing);
  }

  /** Returns what the caller is told of {@code e}, or null when the stream was cancelled. */
  private @Nullable ModelMuxException failure(
      RegisteredModel model, GenerateRequest request, @Nullable StreamSession session, RuntimeException e) {
    if (session != null) {
      if (session.isCancelled() && !session.deadlineExceeded()) {
        return null;
      }
      if (session.deadlineExceeded()) {
        return deadline(model, request.deadline().orElse(null));
      }
    }
    if (e instanceof ModelMuxException) {
      return (ModelMuxException) e;
    }
    return new BackendException(
        "adapter of model '" + model.ref + "' (" + model.adapter.getClass().getName()
            + ") failed with an undocumented exception: " + MessageText.escape(model.spec.secrets().redact(e.toString()))
            + "; report this to its authors",
        model.ref.id(), false, model.spec.secrets().scrub(e));
  }

  private static GenerateResponse response(
      RegisteredModel model, GenerateRequest request, Completion c, long start, @Nullable Duration ttft, Routing routing) {
    Usage usage = c.usage().orElse(null);
    return GenerateResponse.builder(model.ref)
        .routing(routing)
        .text(c.text())
        .finishReason(c.finishReason())
        .usage(usage)
        .cost(model.prices == null ? null : cost(model, request, usage, c.text()))
        .backendModel(c.backendModel().orElse(null))
        .latency(Duration.ofNanos(System.nanoTime() - start))
        .timeToFirstToken(ttft)
        .build();
  }

  private static GenerateResponse cancelled(
      RegisteredModel model, GenerateRequest request, @Nullable StreamSession session, long start, Routing routing) {
    String text = session == null ? "" : session.text();
    return GenerateResponse.builder(model.ref)
        .routing(routing)
        .text(text)
        .finishReason(FinishReason.CANCELLED)
        .cost(model.prices == null ? null : cost(model, request, null, text))
        .latency(Duration.ofNanos(System.nanoTime() - start))
        .timeToFirstToken(session == null ? null : session.timeToFirstToken())
        .build();
  }

  // ---- cost and spend ------------------------------------------------------------------------

  /** The answer a request without {@code max_tokens} is held to when a spend limit applies to its model. */
  static final int RESERVED_TOKENS = 4096;

  /**
   * Returns what an answer cost at {@code model}'s prices: from the usage the backend reported,
   * else from tokens counted here (the model's tokenizer, else four characters a token), marked
   * estimated.
   */
  private static Cost cost(RegisteredModel model, GenerateRequest request, @Nullable Usage usage, String text) {
    Prices p = java.util.Objects.requireNonNull(model.prices);
    if (usage != null) {
      return new Cost(p.cost(usage.promptTokens(), usage.completionTokens()), usage.promptTokens(), usage.completionTokens(), false);
    }
    long in = counted(model.adapter.promptTokens(request), PromptText.of(request));
    long out = text.isEmpty() ? 0 : counted(safeCount(model, text), text);
    return new Cost(p.cost(in, out), in, out, true);
  }

  private static java.util.OptionalInt safeCount(RegisteredModel model, String text) {
    try {
      return model.adapter.countTokens(text);
    } catch (RuntimeException e) {
      return java.util.OptionalInt.empty();
    }
  }

  private static long counted(java.util.OptionalInt tokens, String text) {
    return tokens.isPresent() ? tokens.getAsInt() : (text.length() + 3) / 4;
  }

  /**
   * Returns the most {@code request} can cost on {@code model}, in billionths: its prompt (the
   * model's count, else its UTF-8 bytes and 8 tokens a message, more than any tokenizer makes) at
   * the input price and its {@code max_tokens} at the output price.
   */
  private static long worstCase(RegisteredModel model, GenerateRequest request) {
    Prices p = java.util.Objects.requireNonNull(model.prices);
    java.util.OptionalInt counted;
    try {
      counted = model.adapter.promptTokens(request);
    } catch (RuntimeException e) {
      counted = java.util.OptionalInt.empty();
    }
    long in = counted.isPresent()
        ? counted.getAsInt()
        : PromptText.of(request).getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 8L * Math.max(1, request.messages().size());
    long out = request.options().maxTokens().orElse(RESERVED_TOKENS);
    return (long) Math.ceil(p.cost(in, out) * SpendBook.NANOS);
  }

  /** A request's reservation in its model's and its route's spend books, settled once. */
  private static final class Reservation {
    private final @Nullable SpendBook model;
    private final SpendBook.@Nullable Window modelWindow;
    private final @Nullable SpendBook route;
    private final SpendBook.@Nullable Window routeWindow;
    private final long nanos;

    private Reservation(
        @Nullable SpendBook model, SpendBook.@Nullable Window modelWindow, @Nullable SpendBook route,
        SpendBook.@Nullable Window routeWindow, long nanos) {
      this.model = model;
      this.modelWindow = modelWindow;
      this.route = route;
      this.routeWindow = routeWindow;
      this.nanos = nanos;
    }

    /** Reserves {@code nanos} in both books (either may be null), or in neither. */
    static Reservation take(@Nullable SpendBook model, @Nullable SpendBook route, long nanos, Instant now) {
      SpendBook.Window m = model == null ? null : model.reserve(nanos, now);
      SpendBook.Window r;
      try {
        r = route == null ? null : route.reserve(nanos, now);
      } catch (SpendLimitExceededException e) {
        if (m != null) {
          model.settle(m, nanos, 0);
        }
        throw e;
      }
      return new Reservation(model, m, route, r, nanos);
    }

    void settle(long actual) {
      if (model != null && modelWindow != null) {
        model.settle(modelWindow, nanos, actual);
      }
      if (route != null && routeWindow != null) {
        route.settle(routeWindow, nanos, actual);
      }
    }
  }

  private void checkDeadline(RegisteredModel model, GenerateRequest request) {
    Instant deadline = request.deadline().orElse(null);
    if (deadline != null && !clock.instant().isBefore(deadline)) {
      throw deadline(model, deadline);
    }
  }

  private static DeadlineExceededException deadline(RegisteredModel model, @Nullable Instant deadline) {
    return new DeadlineExceededException(
        "request to model '" + model.ref + "' passed its deadline " + (deadline == null ? "" : deadline)
            + " before it was served in full; retry with a later deadline",
        model.ref.id(),
        null);
  }

  private static BackendException noCompletion(RegisteredModel model) {
    return new BackendException(
        "adapter of model '" + model.ref + "' (" + model.adapter.getClass().getName() + ") returned no completion;"
            + " report this to its authors",
        model.ref.id(), false, null);
  }

  private void checkOpen() {
    if (closed.getAsBoolean()) {
      throw closedError();
    }
  }

  /** Returns the error of a call made after {@code close()}. */
  public static IllegalStateException closedError() {
    return new IllegalStateException("this MultiModelManager is closed; build a new one");
  }

  /**
   * Returns the failure of a stream that was accepted before {@code close()} and reached its
   * turn after it: not retryable, with the closed manager's error as its cause.
   */
  public static ModelMuxException closedWhileWaiting(IllegalStateException closed) {
    return new ModelMuxException("the MultiModelManager was closed before the request was served; build a new one", closed);
  }
}
