package io.modelmux.internal.route;

import io.modelmux.GenerateRequest;

/** Something a name leads to: a model (whose plan is fixed) or a route (which decides per request). */
public interface Planner {
  /**
   * Returns the plan for {@code request}.
   *
   * @throws io.modelmux.ModelMuxException if nothing can serve it
   */
  Plan plan(GenerateRequest request);
}
