package io.modelmux.internal.serve;

import io.modelmux.BackendException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelMuxException;
import io.modelmux.Routing;
import io.modelmux.ShadowResult;
import io.modelmux.UnknownModelException;
import io.modelmux.internal.memory.Lease;
import io.modelmux.internal.memory.MemoryScheduler;
import io.modelmux.internal.registry.RegisteredModel;
import io.modelmux.internal.route.Plan;
import io.modelmux.internal.route.Planner;
import io.modelmux.internal.route.RouteEvents;
import io.modelmux.internal.route.Router;
import io.modelmux.internal.route.Shadowing;
import io.modelmux.spi.Capability;
import io.modelmux.spi.Completion;
import io.modelmux.spi.MessageText;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The request path, one method for every way of serving: {@code generate}, {@code
 * generateAsync} (which runs {@link #generate} on an executor) and {@code stream} all go
 * through {@link #serve}, whose body reads like the architecture:
 *
 * <pre>
 * plan → (cache: a later stage) → lease → (guard: a later stage) → adapter → record → release
 * </pre>
 *
 * <p>A stream differs only in its sink: the adapter writes pieces to the {@link StreamSession},
 * which checks the deadline between pieces and drops them after a cancel. The lease is returned
 * before the caller is told the outcome, so a finished request holds nothing. Thread-safe.
 */
public final class RequestPath {
  private final Router router;
  private final MemoryScheduler scheduler;
  private final Clock clock;
  private final BooleanSupplier closed;
  private final Executor shadows;
  private final RouteEvents events;

  /**
   * @param router plans each request
   * @param scheduler leases the planned models
   * @param clock for deadlines
   * @param closed says whether the manager is closed, so that a request racing {@code close()}
   *     fails as closed rather than as an unknown model
   * @param shadows where shadow copies run, off the caller's path
   * @param events where shadow results go
   */
  public RequestPath(
      Router router, MemoryScheduler scheduler, Clock clock, BooleanSupplier closed, Executor shadows, RouteEvents events) {
    this.router = router;
    this.scheduler = scheduler;
    this.clock = clock;
    this.closed = closed;
    this.shadows = shadows;
    this.events = events;
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
      lease = leaseTarget(plan(request, null), request, Counting.NONE);
    } while (lease == null);
    return lease;
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
    Counting counting = shadow == null ? Counting.REQUEST : Counting.SHADOW;
    checkOpen();
    Plan plan;
    Lease leased;
    do { // plan → lease
      plan = plan(request, shadow);
      leased = leaseTarget(plan, request, counting);
    } while (leased == null);
    if (plan.shadow() != null && shadow == null) {
      copyToShadow(plan.shadow(), request); // off the caller's path
    }
    try (Lease lease = leased) {
      RegisteredModel model = lease.model();
      count(model, counting, false);
      try {
        checkDeadline(model, request);
        Completion c = call(model, request, session); // adapter
        GenerateResponse response = record(model, request, c, start, session, plan.routing()); // record
        outcome(plan, model, false, start);
        return response;
      } catch (RuntimeException e) {
        ModelMuxException failure = failure(model, request, session, e);
        if (failure == null) {
          return cancelled(model, session, start, plan.routing()); // the cancel closed what the adapter read
        }
        count(model, counting, true);
        outcome(plan, model, true, start);
        throw failure;
      }
    } // release
  }

  private static void count(RegisteredModel model, Counting counting, boolean failed) {
    if (counting == Counting.REQUEST) {
      (failed ? model.failures : model.requests).increment();
    } else if (counting == Counting.SHADOW) {
      (failed ? model.shadowFailures : model.shadowRequests).increment();
    }
  }

  /** Records the outcome where routing reads it: the model's latencies, and the plan's recorder (a canary). */
  private static void outcome(Plan plan, RegisteredModel model, boolean failed, long start) {
    long nanos = System.nanoTime() - start;
    if (!failed) {
      model.latency.record(nanos);
    }
    plan.record(failed, nanos);
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
  private @Nullable Lease leaseTarget(Plan plan, GenerateRequest request, Counting counting) {
    RegisteredModel model = plan.target();
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
      return response(model, c, start, c.timeToFirstToken().orElse(null), routing);
    }
    if (session.deadlineExceeded()) {
      throw deadline(model, request.deadline().orElse(null));
    }
    if (session.isCancelled()) {
      return cancelled(model, session, start, routing);
    }
    return response(model, c, start, session.timeToFirstToken(), routing);
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
      RegisteredModel model, Completion c, long start, @Nullable Duration ttft, Routing routing) {
    return GenerateResponse.builder(model.ref)
        .routing(routing)
        .text(c.text())
        .finishReason(c.finishReason())
        .usage(c.usage().orElse(null))
        .backendModel(c.backendModel().orElse(null))
        .latency(Duration.ofNanos(System.nanoTime() - start))
        .timeToFirstToken(ttft)
        .build();
  }

  private static GenerateResponse cancelled(
      RegisteredModel model, @Nullable StreamSession session, long start, Routing routing) {
    return GenerateResponse.builder(model.ref)
        .routing(routing)
        .text(session == null ? "" : session.text())
        .finishReason(FinishReason.CANCELLED)
        .latency(Duration.ofNanos(System.nanoTime() - start))
        .timeToFirstToken(session == null ? null : session.timeToFirstToken())
        .build();
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
            + " before it was served; retry with a later deadline",
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
