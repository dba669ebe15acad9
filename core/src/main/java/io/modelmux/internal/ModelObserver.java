package io.modelmux.internal;

import io.modelmux.internal.registry.RegisteredModel;

/** Hears registrations come and go, for the manager's own observers (the Micrometer binder). */
public interface ModelObserver {
  /** {@code model} was registered. */
  void registered(RegisteredModel model);

  /** {@code model} was unregistered, drained and closed. */
  void removed(RegisteredModel model);
}
