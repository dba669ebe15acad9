package io.modelmux.internal.serve;

import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The future of a {@code generateAsync} call, and the task that serves it. Unlike a plain
 * {@link CompletableFuture}, {@code cancel(true)} reaches the work: it interrupts the thread
 * serving the request, which every wait on the request path answers (a queue for a slot or
 * memory, a wait between attempts, a local model's batch, an HTTP exchange), so the model's
 * lease and slot are given back at once. The interrupt is cleared when the task ends, so that
 * it never leaks into the pool thread's next task. Thread-safe.
 */
public final class AsyncCall extends CompletableFuture<GenerateResponse> implements Runnable {
  private final Supplier<GenerateResponse> work;
  private final Object lock = new Object();
  private @Nullable Thread runner; // guarded by lock
  private boolean ended; // guarded by lock

  /** @param work serves the request; may throw */
  public AsyncCall(Supplier<GenerateResponse> work) {
    this.work = work;
  }

  @Override
  public void run() {
    synchronized (lock) {
      if (isDone()) {
        return; // cancelled before it started
      }
      runner = Thread.currentThread();
    }
    try {
      complete(work.get());
    } catch (RuntimeException e) {
      completeExceptionally(e);
    } catch (Error e) {
      completeExceptionally(new ModelMuxException("request failed: " + e, e));
      throw e;
    } finally {
      synchronized (lock) {
        runner = null;
        ended = true;
        Thread.interrupted(); // a cancel that came as the work ended must not reach the next task
      }
    }
  }

  /**
   * Cancels the future; with {@code mayInterruptIfRunning}, also interrupts the thread serving
   * the request, which stops its work.
   */
  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    boolean cancelled = super.cancel(mayInterruptIfRunning);
    if (cancelled && mayInterruptIfRunning) {
      synchronized (lock) {
        if (runner != null && !ended) {
          runner.interrupt();
        }
      }
    }
    return cancelled;
  }
}
