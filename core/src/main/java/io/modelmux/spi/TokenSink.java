package io.modelmux.spi;

/**
 * Where a streaming adapter sends text as it is generated. Supplied by the manager; one sink
 * per stream. Thread-safe for {@link #isCancelled()} and {@link #onCancel}; {@link #accept} is
 * called from the adapter's generating thread only.
 */
public interface TokenSink {
  /**
   * Takes the next piece of text. Pieces must be whole characters: an adapter holds back bytes
   * of a multi-byte character until the character is complete. Empty pieces are ignored.
   *
   * @param text the piece; not null
   */
  void accept(String text);

  /**
   * Returns whether the caller cancelled the stream. Adapters check it between tokens and then
   * stop, returning the completion of what was generated so far.
   */
  boolean isCancelled();

  /**
   * Registers an action to run once when the stream is cancelled, for example closing an HTTP
   * connection that a blocked read is waiting on. Runs at once if already cancelled. The action
   * runs on the cancelling thread and must be quick and not throw.
   *
   * @param action the action; not null
   */
  void onCancel(Runnable action);
}
