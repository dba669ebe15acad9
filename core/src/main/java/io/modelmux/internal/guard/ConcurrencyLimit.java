package io.modelmux.internal.guard;

import io.modelmux.DeadlineExceededException;
import io.modelmux.ModelMuxException;
import io.modelmux.ModelRef;
import io.modelmux.OverloadedException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A model's {@code max_concurrency}: that many calls at once, and a bounded queue of requests
 * waiting for a slot, each for at most the queue timeout or its own deadline, whichever comes
 * first. A fair semaphore, because Resilience4j's bulkhead waits one fixed time for every call
 * and keeps no bound on its waiters: a request's deadline and {@code max_queue} could not hold.
 * A full queue turns a request away at once. Thread-safe.
 */
final class ConcurrencyLimit {
  private final ModelRef ref;
  private final int max;
  private final int maxQueue;
  private final Duration timeout;
  private final Semaphore slots;
  private final AtomicInteger queued = new AtomicInteger();
  private volatile boolean closed;

  ConcurrencyLimit(ModelRef ref, int max, int maxQueue, Duration timeout) {
    this.ref = ref;
    this.max = max;
    this.maxQueue = maxQueue;
    this.timeout = timeout;
    this.slots = new Semaphore(max, true);
  }

  /**
   * Takes a slot, waiting in the queue when all are taken.
   *
   * @param deadline the request's deadline, or null
   * @throws OverloadedException if the queue is full or the queue timeout passes first
   * @throws DeadlineExceededException if the deadline passes first
   * @throws ModelMuxException if the thread is interrupted or the limit closed while it waits
   */
  void acquire(@Nullable Instant deadline, Clock clock) {
    if (tryNow()) { // a free slot and nobody queued ahead
      return;
    }
    if (queued.incrementAndGet() > maxQueue) {
      queued.decrementAndGet();
      throw new OverloadedException(
          "model '" + ref + "' is serving its max_concurrency of " + max + " requests and its queue of " + maxQueue
              + " is full; retry later, raise max_concurrency or max_queue, or add a fallback",
          ref.id(), null);
    }
    try {
      long wait = timeout.toNanos();
      boolean deadlineFirst = false;
      if (deadline != null) {
        long left = Duration.between(clock.instant(), deadline).toNanos();
        if (left < wait) {
          wait = Math.max(0, left);
          deadlineFirst = true;
        }
      }
      if (!slots.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
        if (deadlineFirst) {
          throw new DeadlineExceededException(
              "request to model '" + ref + "' passed its deadline " + deadline + " while queued for one of its "
                  + max + " slots (max_concurrency); retry with a later deadline",
              ref.id(), null);
        }
        throw new OverloadedException(
            "request to model '" + ref + "' waited the queue_timeout of " + timeout.toMillis() + " ms for one of its "
                + max + " slots (max_concurrency) and got none; retry later, raise max_concurrency, or add a fallback",
            ref.id(), null);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelMuxException("interrupted while queued for a slot of model '" + ref + "'", e);
    } finally {
      queued.decrementAndGet();
    }
    if (closed) {
      slots.release();
      throw new IllegalStateException("this MultiModelManager is closed; build a new one");
    }
  }

  private boolean tryNow() {
    try {
      return slots.tryAcquire(0, TimeUnit.NANOSECONDS); // unlike tryAcquire(), keeps the queue's order
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelMuxException("interrupted while taking a slot of model '" + ref + "'", e);
    }
  }

  /** Returns a slot. */
  void release() {
    slots.release();
  }

  /** Wakes every waiter; they fail as closed. */
  void close() {
    closed = true;
    slots.release(Integer.MAX_VALUE / 2);
  }

  int max() {
    return max;
  }

  int active() {
    return closed ? 0 : Math.max(0, max - slots.availablePermits());
  }

  int queued() {
    return queued.get();
  }
}
