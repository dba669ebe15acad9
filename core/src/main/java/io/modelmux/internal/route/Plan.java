package io.modelmux.internal.route;

import io.modelmux.internal.registry.RegisteredModel;
import java.util.List;

/**
 * What the router decided for one request: the models to try, in order. Immutable. A plain
 * model name's plan is made once per registration and reused by every request, so that planning
 * the common case allocates nothing.
 */
public final class Plan {
  private final List<RegisteredModel> targets;

  private Plan(List<RegisteredModel> targets) {
    this.targets = targets;
  }

  /** Returns the plan that sends every request to {@code model}. */
  static Plan direct(RegisteredModel model) {
    return new Plan(List.of(model));
  }

  /** Returns the models to try, in order; never empty. */
  public List<RegisteredModel> targets() {
    return targets;
  }
}
