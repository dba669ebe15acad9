package io.modelmux.internal.serve;

import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The thread serving one request, for cancelling it from another thread: {@link #interrupt()}
 * reaches it only while it serves that request, and the interrupt is cleared when it leaves, so
 * that it never reaches the pool thread's next task. Every wait on the request path answers an
 * interrupt (a queue for a slot or memory, a wait between attempts, a local batch, an HTTP
 * exchange), so the request gives back its lease and slot at once. Thread-safe.
 */
final class ServingThread {
  private final Object lock = new Object();
  private @Nullable Thread runner; // guarded by lock
  private boolean ended; // guarded by lock

  /**
   * Marks the current thread as serving; returns false, without marking it, when {@code
   * cancelled} says the request was cancelled before it started.
   */
  boolean enter(BooleanSupplier cancelled) {
    synchronized (lock) {
      if (cancelled.getAsBoolean()) {
        return false;
      }
      runner = Thread.currentThread();
      return true;
    }
  }

  /** Marks the request served; clears an interrupt that came as it ended. */
  void exit() {
    synchronized (lock) {
      runner = null;
      ended = true;
      Thread.interrupted();
    }
  }

  /** Interrupts the serving thread, if it is serving now. */
  void interrupt() {
    synchronized (lock) {
      if (runner != null && !ended) {
        runner.interrupt();
      }
    }
  }
}
