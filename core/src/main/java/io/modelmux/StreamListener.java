package io.modelmux;

/**
 * Receives a streamed answer. Calls for one stream come from one thread at a time, in order:
 * any number of {@link #onToken} calls, then exactly one of {@link #onComplete} or
 * {@link #onError}. A listener should return quickly; it runs on ModelMux's worker thread.
 *
 * <p>An exception thrown by a listener method cancels the stream and is logged; it is not
 * passed to {@link #onError}.
 */
public interface StreamListener {
  /**
   * Receives the next piece of text. Pieces are whole characters (a multi-byte character is
   * never split between calls) and, joined, equal the final response's text.
   *
   * @param text the piece; not null, not empty
   */
  void onToken(String text);

  /**
   * Receives the final response once the stream ended normally or was cancelled (then its
   * finish reason is {@link FinishReason#CANCELLED} and its text is what was sent so far).
   *
   * @param response the response; not null
   */
  void onComplete(GenerateResponse response);

  /**
   * Receives the failure that ended the stream.
   *
   * @param error the failure; not null
   */
  void onError(ModelMuxException error);
}
