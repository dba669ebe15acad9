package io.modelmux;

import java.util.concurrent.CompletableFuture;

/** Controls one running stream. Thread-safe. */
public interface StreamHandle {
  /**
   * Asks the stream to stop. Generation stops before the next token; a remote backend's
   * connection is closed. The listener then gets {@link StreamListener#onComplete} with finish
   * reason {@link FinishReason#CANCELLED}. Idempotent; does nothing once the stream is done.
   */
  void cancel();

  /** Returns whether the stream has ended (completed, failed or cancelled). */
  boolean isDone();

  /**
   * Returns a future that completes with the final response, or exceptionally with the
   * {@link ModelMuxException} that ended the stream. Cancelling this future does not stop the
   * stream; call {@link #cancel()}.
   */
  CompletableFuture<GenerateResponse> completion();
}
