package io.modelmux.djl;

import java.util.List;

/**
 * A loaded causal language model: from the token ids of some rows it gives the logits of each
 * row's next token, then advances all rows by one token at a time. Implementations keep what
 * makes the next step cheap (a KV cache) where the model allows it.
 */
interface CausalLm extends AutoCloseable {
  /** Returns the model's vocabulary size (the logits' last dimension). */
  int vocabSize();

  /** Returns the most tokens the model attends to. */
  int contextLength();

  /** Returns the bytes the model's parameters take in memory, measured. */
  long parameterBytes();

  /** Returns whether decoding reuses a KV cache rather than recomputing the sequence. */
  boolean usesKvCache();

  /**
   * Starts decoding a batch of rows.
   *
   * @param prompts each row's token ids, each non-empty and at most {@link #contextLength()}
   */
  Decoder start(List<int[]> prompts);

  /** Frees the model's native memory. Idempotent. */
  @Override
  void close();

  /** Decodes one batch. Not thread-safe; close it when done. */
  interface Decoder extends AutoCloseable {
    /** Returns the logits of the next token of each current row, {@code [rows][vocab]}. */
    float[][] logits();

    /**
     * Keeps only the rows marked true (in order), dropping the others' state.
     *
     * @param keep one flag per current row
     */
    void retain(boolean[] keep);

    /**
     * Appends one token to each current row and computes the next logits. When a row would
     * exceed the context, the model slides its window over the row's latest tokens.
     *
     * @param tokens one id per current row
     */
    void advance(int[] tokens);

    @Override
    void close();
  }
}
