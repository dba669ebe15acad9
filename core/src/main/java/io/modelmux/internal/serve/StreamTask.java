package io.modelmux.internal.serve;

import org.jspecify.annotations.Nullable;

/**
 * The task that serves a stream: cancelling the stream interrupts the thread serving it, so that
 * a request still waiting (for a slot, for memory, between attempts, for its batch) stops at once
 * and gives back what it held, as a cancelled {@code generateAsync} does. The interrupt is
 * cleared when the task ends, so that it never reaches the pool thread's next task. Thread-safe.
 */
public final class StreamTask implements Runnable {
  private final StreamSession session;
  private final Runnable work;
  private final Object lock = new Object();
  private @Nullable Thread runner; // guarded by lock
  private boolean ended; // guarded by lock

  /**
   * @param session the stream; its cancel interrupts the work
   * @param work serves the stream into {@code session}
   */
  public StreamTask(StreamSession session, Runnable work) {
    this.session = session;
    this.work = work;
  }

  @Override
  public void run() {
    synchronized (lock) {
      runner = Thread.currentThread();
    }
    session.onCancel(this::interruptRunner);
    try {
      work.run();
    } finally {
      synchronized (lock) {
        runner = null;
        ended = true;
        Thread.interrupted(); // a cancel that came as the work ended must not reach the next task
      }
    }
  }

  private void interruptRunner() {
    synchronized (lock) {
      if (runner != null && !ended) {
        runner.interrupt();
      }
    }
  }
}
