package io.modelmux.internal.serve;

import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import io.modelmux.StreamHandle;
import io.modelmux.StreamListener;
import io.modelmux.spi.TokenSink;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream: the sink the adapter writes to, the handle the caller holds, and the bridge to
 * the caller's listener. Delivers each piece to the listener on the adapter's thread, drops
 * pieces after a cancel, checks the deadline between pieces, and ends the stream exactly once.
 */
public final class StreamSession implements StreamHandle, TokenSink {
  private static final Logger log = LoggerFactory.getLogger(StreamSession.class);

  private final StreamListener listener;
  private final Clock clock;
  private final @Nullable Instant deadline;
  private final CompletableFuture<GenerateResponse> completion = new CompletableFuture<>();
  private final AtomicBoolean ended = new AtomicBoolean();
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final StringBuilder text = new StringBuilder(); // written by the adapter's thread only
  private final Object cancelLock = new Object();
  // guarded by cancelLock
  private final List<Runnable> cancelActions = new ArrayList<>();
  private volatile boolean deadlineExceeded;
  private volatile long startNanos;
  private volatile long firstTokenNanos = -1;

  public StreamSession(StreamListener listener, Clock clock, @Nullable GenerateRequest request) {
    this.listener = listener;
    this.clock = clock;
    this.deadline = request == null ? null : request.deadline().orElse(null);
  }

  void start(long startNanos) {
    this.startNanos = startNanos;
  }

  // ---- TokenSink (the adapter's side) --------------------------------------------------------

  @Override
  public void accept(String piece) {
    if (piece.isEmpty() || cancelled.get()) {
      return;
    }
    if (deadline != null && !clock.instant().isBefore(deadline)) {
      deadlineExceeded = true;
      cancel();
      return;
    }
    if (firstTokenNanos < 0) {
      firstTokenNanos = System.nanoTime();
    }
    text.append(piece);
    try {
      listener.onToken(piece);
    } catch (RuntimeException e) {
      log.warn("stream listener {} threw from onToken; cancelling the stream", listener, e);
      cancel();
    }
  }

  @Override
  public boolean isCancelled() {
    return cancelled.get();
  }

  /** Returns whether a piece has reached the caller: from then on the stream cannot fail over. */
  public boolean delivered() {
    return firstTokenNanos >= 0;
  }

  @Override
  public void onCancel(Runnable action) {
    synchronized (cancelLock) {
      if (!cancelled.get()) {
        cancelActions.add(action);
        return;
      }
    }
    runQuietly(action);
  }

  // ---- StreamHandle (the caller's side) ------------------------------------------------------

  @Override
  public void cancel() {
    if (ended.get()) {
      return;
    }
    List<Runnable> actions;
    synchronized (cancelLock) {
      if (!cancelled.compareAndSet(false, true)) {
        return;
      }
      actions = new ArrayList<>(cancelActions);
      cancelActions.clear();
    }
    actions.forEach(StreamSession::runQuietly);
  }

  @Override
  public boolean isDone() {
    return ended.get();
  }

  @Override
  public CompletableFuture<GenerateResponse> completion() {
    return completion;
  }

  // ---- the manager's side --------------------------------------------------------------------

  boolean deadlineExceeded() {
    return deadlineExceeded;
  }

  String text() {
    return text.toString();
  }

  @Nullable Duration timeToFirstToken() {
    long first = firstTokenNanos;
    return first < 0 ? null : Duration.ofNanos(first - startNanos);
  }

  void complete(GenerateResponse response) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    try {
      listener.onComplete(response);
    } catch (RuntimeException e) {
      log.warn("stream listener {} threw from onComplete", listener, e);
    }
    completion.complete(response);
  }

  /** Ends the stream with {@code error}, unless it already ended. */
  public void fail(ModelMuxException error) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    try {
      listener.onError(error);
    } catch (RuntimeException e) {
      log.warn("stream listener {} threw from onError", listener, e);
    }
    completion.completeExceptionally(error);
  }

  private static void runQuietly(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.warn("a stream cancel action failed", e);
    }
  }
}
