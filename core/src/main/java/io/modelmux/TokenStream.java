package io.modelmux;

import java.util.Iterator;

/**
 * A streamed answer as a blocking {@link Iterable} of text pieces, easy to use from a loop or
 * JShell:
 *
 * <pre>{@code
 * try (TokenStream tokens = manager.stream(GenerateRequest.of("tiny-lm", "Once upon"))) {
 *   for (String piece : tokens) {
 *     System.out.print(piece);
 *   }
 *   System.out.println(tokens.response().latency());
 * }
 * }</pre>
 *
 * <p>The iterator blocks until the next piece arrives; if the stream fails, {@code hasNext()}
 * throws the {@link ModelMuxException} that ended it. It may be iterated once. Closing it
 * before the end cancels the stream. Not thread-safe: one consumer thread.
 */
public interface TokenStream extends Iterable<String>, AutoCloseable {
  /**
   * Returns the iterator over text pieces.
   *
   * @throws IllegalStateException if called a second time
   */
  @Override
  Iterator<String> iterator();

  /**
   * Waits for the stream to end and returns the final response (whose text is all pieces
   * joined). Pieces not yet consumed are kept for the iterator.
   *
   * @throws ModelMuxException the failure that ended the stream
   */
  GenerateResponse response();

  /** Cancels the stream if it has not ended. Idempotent. */
  @Override
  void close();
}
