package io.modelmux.internal.memory;

import io.modelmux.internal.registry.RegisteredModel;

/**
 * A request's hold on a resident model: while it is open the model is not evicted, unloaded or
 * closed. Taken from {@link MemoryScheduler#lease}; closing it returns the lease (once: a second
 * close does nothing), and the last lease to close lets keep-alive and waiting requests act.
 * Not thread-safe: one request holds it.
 */
public final class Lease implements AutoCloseable {
  private final MemoryScheduler scheduler;
  private final RegisteredModel model;
  private boolean closed;

  Lease(MemoryScheduler scheduler, RegisteredModel model) {
    this.scheduler = scheduler;
    this.model = model;
  }

  /** Returns the leased model. */
  public RegisteredModel model() {
    return model;
  }

  /** Returns the lease. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (model.residency.release()) {
      scheduler.idle(model);
    }
  }
}
