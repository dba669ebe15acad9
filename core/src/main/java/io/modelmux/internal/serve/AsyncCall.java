package io.modelmux.internal.serve;

import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The future of a {@code generateAsync} call, and the task that serves it. Unlike a plain
 * {@link CompletableFuture}, {@code cancel(true)} reaches the work: it interrupts the thread
 * serving the request ({@link ServingThread}), which stops its work and gives back its lease
 * and slot at once. Thread-safe.
 */
public final class AsyncCall extends CompletableFuture<GenerateResponse> implements Runnable {
  private final Supplier<GenerateResponse> work;
  private final ServingThread serving = new ServingThread();

  /** @param work serves the request; may throw */
  public AsyncCall(Supplier<GenerateResponse> work) {
    this.work = work;
  }

  @Override
  public void run() {
    if (!serving.enter(this::isDone)) {
      return; // cancelled before it started
    }
    try {
      complete(work.get());
    } catch (RuntimeException e) {
      completeExceptionally(e);
    } catch (Error e) {
      completeExceptionally(new ModelMuxException("request failed: " + e, e));
      throw e;
    } finally {
      serving.exit();
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
      serving.interrupt();
    }
    return cancelled;
  }
}
