package io.modelmux;

/** Where a model's weights are. */
public enum Tier {
  /** Loaded where it runs (an accelerator, the unified pool, or host memory for CPU models). */
  ACTIVE,
  /** Parked in host memory by an adapter that can move it back faster than a cold load. */
  WARM,
  /** Not loaded. */
  COLD
}
