package io.modelmux.internal.route;

import io.modelmux.ContentFilteredException;
import io.modelmux.ContextLengthExceededException;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelMuxException;
import io.modelmux.Routing;
import io.modelmux.internal.observe.RouteMeters;
import io.modelmux.internal.registry.RegisteredModel;
import org.jspecify.annotations.Nullable;

/**
 * What the router decided for one request: the model to serve it; the fallbacks to try in order
 * when it fails over (a route's {@code fallbacks:}); how that was decided ({@link Routing}, for
 * the response); who wants to hear the outcome (a canary's side); and a shadow, when this
 * request was sampled for one. Immutable. A plain model name's plan is made
 * once per registration and reused by every request (it is its own {@link Planner}), so that
 * planning the common case allocates nothing.
 */
public final class Plan implements Planner {
  /** Hears the outcome of a planned request. */
  public interface Recorder {
    /** Records that the request {@code failed} or not, after {@code nanos}. */
    void record(boolean failed, long nanos);
  }

  private final RegisteredModel target;
  private final Routing routing;
  private final @Nullable Recorder recorder;
  private final @Nullable Shadowing shadow;
  private final @Nullable Planner[] fallbacks; // in order; an entry is null while its name leads nowhere
  private final @Nullable ErrorRoutes errorRoutes;
  private final @Nullable RouteMeters route; // the route the request named, when it named one

  /** Where a request goes after a failure of its own kind: a prompt too long, a filtered one. */
  static final class ErrorRoutes {
    final @Nullable Planner contextLength;
    final @Nullable Planner contentFilter;

    ErrorRoutes(@Nullable Planner contextLength, @Nullable Planner contentFilter) {
      this.contextLength = contextLength;
      this.contentFilter = contentFilter;
    }
  }

  Plan(RegisteredModel target, Routing routing, @Nullable Recorder recorder, @Nullable Shadowing shadow) {
    this(target, routing, recorder, shadow, NO_FALLBACKS, null, null);
  }

  private Plan(
      RegisteredModel target, Routing routing, @Nullable Recorder recorder, @Nullable Shadowing shadow,
      @Nullable Planner[] fallbacks, @Nullable ErrorRoutes errorRoutes, @Nullable RouteMeters route) {
    this.target = target;
    this.routing = routing;
    this.recorder = recorder;
    this.shadow = shadow;
    this.fallbacks = fallbacks;
    this.errorRoutes = errorRoutes;
    this.route = route;
  }

  static final Planner[] NO_FALLBACKS = new Planner[0];

  /** Returns the plan that sends every request to {@code model}. */
  static Plan direct(RegisteredModel model) {
    return new Plan(model, Routing.model(model.ref), null, null);
  }

  @Override
  public Plan plan(GenerateRequest request) {
    return this;
  }

  /** Returns the model to serve the request first. */
  public RegisteredModel target() {
    return target;
  }

  /** Returns how many fallbacks follow the target (some may lead nowhere now). */
  public int fallbackCount() {
    return fallbacks.length;
  }

  /**
   * Returns the model fallback {@code i} leads to for {@code request} (a route is planned, and
   * its choice taken), or null when its name leads nowhere now.
   */
  public @Nullable RegisteredModel fallback(int i, GenerateRequest request) {
    Planner p = fallbacks[i];
    return p == null ? null : p.plan(request).target();
  }

  /** Returns the figures of the route the request named (the outermost), or null when it named a model. */
  public @Nullable RouteMeters route() {
    return route;
  }

  /** Returns this plan counted for {@code route} (a route sets itself; an outer route, planned last, wins). */
  Plan countedFor(RouteMeters route) {
    return new Plan(target, routing, recorder, shadow, fallbacks, errorRoutes, route);
  }

  /** Returns how the plan was made. */
  public Routing routing() {
    return routing;
  }

  /** Returns the shadow this request is copied to, or null. */
  public @Nullable Shadowing shadow() {
    return shadow;
  }

  /** Tells whoever asked (a canary) the outcome of the request. */
  public void record(boolean failed, long nanos) {
    if (recorder != null) {
      recorder.record(failed, nanos);
    }
  }

  /** Returns this plan decided by a route: its routing and recorder, with the same target. */
  Plan routed(Routing routing, @Nullable Recorder recorder) {
    Recorder inner = this.recorder;
    Recorder both =
        inner == null ? recorder : recorder == null ? inner : (failed, nanos) -> {
          inner.record(failed, nanos);
          recorder.record(failed, nanos);
        };
    return new Plan(target, routing, both, shadow, fallbacks, errorRoutes, route);
  }

  /** Returns this plan with {@code shadow}. */
  Plan withShadow(Shadowing shadow) {
    return new Plan(target, routing, recorder, shadow, fallbacks, errorRoutes, route);
  }

  /**
   * Returns this plan followed by {@code more} fallbacks, after its own, and with {@code errors}
   * where its own are not set (an inner route's choices come first).
   */
  Plan withFallbacks(@Nullable Planner[] more, @Nullable ErrorRoutes errors) {
    if (more.length == 0 && (errors == null || errorRoutes != null)) {
      return this;
    }
    @Nullable Planner[] all = more;
    if (fallbacks.length > 0) {
      all = java.util.Arrays.copyOf(fallbacks, fallbacks.length + more.length);
      System.arraycopy(more, 0, all, fallbacks.length, more.length);
    }
    return new Plan(target, routing, recorder, shadow, all, errorRoutes != null ? errorRoutes : errors, route);
  }

  /**
   * Returns the model a request that failed with {@code failure} goes to by its kind: the
   * route's {@code on_context_length} model for a prompt too long, its {@code on_content_filter}
   * model for a filtered one; null when none is set (or its name leads nowhere now).
   */
  public @Nullable RegisteredModel errorRoute(ModelMuxException failure, GenerateRequest request) {
    ErrorRoutes e = errorRoutes;
    if (e == null) {
      return null;
    }
    Planner p = failure instanceof ContextLengthExceededException ? e.contextLength
        : failure instanceof ContentFilteredException ? e.contentFilter : null;
    return p == null ? null : p.plan(request).target();
  }

  /** Returns whether a prompt too long for the target would go to another model. */
  public boolean hasContextRoute() {
    return errorRoutes != null && errorRoutes.contextLength != null;
  }
}
