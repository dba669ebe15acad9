package io.modelmux.spi;

/**
 * An adapter that can park a loaded model's weights in host memory and bring them back faster
 * than a cold load. The scheduler demotes such a model (tier {@code WARM}) instead of unloading
 * it when its accelerator pool needs room and host memory allows, and promotes it on its next
 * request. Only called while the model is loaded and no request runs on it.
 */
public interface TieredAdapter extends ModelAdapter {
  /** Returns whether the model runs on a device other than host memory, so demotion can help. */
  boolean canDemote();

  /** Moves the weights to host memory; {@link #footprint()} then reports host bytes. */
  void demote();

  /** Moves the weights back to the model's device; requests may run again afterwards. */
  void promote();

  /** Returns whether the weights are parked in host memory now. */
  boolean isDemoted();
}
