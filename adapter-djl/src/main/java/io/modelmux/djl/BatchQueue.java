package io.modelmux.djl;

import io.modelmux.OverloadedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching: one worker thread per loaded model takes the first waiting job, gathers
 * more for up to {@code maxDelay} or until {@code maxSize} are waiting, and runs them as one
 * batch. Jobs that arrive while a batch runs wait for the next one.
 */
final class BatchQueue implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BatchQueue.class);

  private final LinkedBlockingQueue<GenerationJob> queue = new LinkedBlockingQueue<>();
  private final Generator generator;
  private final int maxSize;
  private final long maxDelayNanos;
  private final String modelId;
  private final Thread worker;
  private volatile boolean closed;
  private final java.util.concurrent.atomic.AtomicInteger largest = new java.util.concurrent.atomic.AtomicInteger();

  BatchQueue(Generator generator, int maxSize, Duration maxDelay, String modelId) {
    this.generator = generator;
    this.maxSize = maxSize;
    this.maxDelayNanos = maxDelay.toNanos();
    this.modelId = modelId;
    this.worker = new Thread(this::work, "modelmux-djl-" + modelId + "-batcher");
    this.worker.setDaemon(true);
    this.worker.start();
  }

  /** Returns the most requests run in one batch so far. */
  int largestBatch() {
    return largest.get();
  }

  /** Forgets the largest batch so far (a warm-up's is not a batch of requests). */
  void resetLargestBatch() {
    largest.set(0);
  }

  /** Returns whether {@code t} is this queue's worker, which runs the batches (and their stream listeners). */
  boolean isWorker(Thread t) {
    return t == worker;
  }

  void submit(GenerationJob job) {
    if (closed) {
      job.result.completeExceptionally(unloaded());
      return;
    }
    queue.add(job);
    if (closed && queue.remove(job)) {
      job.result.completeExceptionally(unloaded());
    }
  }

  private OverloadedException unloaded() {
    return new OverloadedException(
        "model '" + modelId + "' was unloaded while the request waited; retry", modelId, null);
  }

  private void work() {
    List<GenerationJob> batch = new ArrayList<>(maxSize);
    while (!closed) {
      try {
        GenerationJob first = queue.poll(100, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        batch.addAll(first.companions);
        long deadline = System.nanoTime() + maxDelayNanos;
        while (batch.size() < maxSize) {
          long wait = deadline - System.nanoTime();
          GenerationJob next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          batch.add(next);
        }
        largest.accumulateAndGet(batch.size(), Math::max);
        generator.run(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        log.error("batch of model {} failed", modelId, e);
      } finally {
        batch.clear();
      }
    }
    for (GenerationJob job; (job = queue.poll()) != null; ) {
      job.result.completeExceptionally(unloaded());
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      worker.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (GenerationJob job; (job = queue.poll()) != null; ) {
      job.result.completeExceptionally(unloaded());
    }
  }
}
