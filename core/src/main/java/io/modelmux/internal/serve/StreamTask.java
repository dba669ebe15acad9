package io.modelmux.internal.serve;

/**
 * The task that serves a stream: cancelling the stream interrupts the thread serving it ({@link
 * ServingThread}), so that a request still waiting (for a slot, for memory, between attempts,
 * for its batch) stops at once and gives back what it held, as a cancelled {@code
 * generateAsync} does. Thread-safe.
 */
public final class StreamTask implements Runnable {
  private final StreamSession session;
  private final Runnable work;
  private final ServingThread serving = new ServingThread();

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
    serving.enter(() -> false); // a stream cancelled before it starts ends through the path, as cancelled
    session.onCancel(serving::interrupt);
    try {
      work.run();
    } finally {
      serving.exit();
    }
  }
}
