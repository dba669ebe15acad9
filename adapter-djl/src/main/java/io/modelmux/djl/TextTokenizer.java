package io.modelmux.djl;

/**
 * Turns text into token ids and generated ids back into text, piece by piece. Implementations
 * are thread-safe; each {@link Detokenizer} belongs to one generation.
 */
interface TextTokenizer extends AutoCloseable {
  /** Returns the ids of {@code text}, without special tokens. */
  int[] encode(String text);

  /** Returns how many ids the tokenizer can produce (the model's vocabulary must be at least this). */
  int vocabSize();

  /** Returns the end-of-sequence id, or -1 if the tokenizer has none. */
  int eosId();

  /** Returns a new incremental decoder for one generated sequence. */
  Detokenizer newDetokenizer();

  @Override
  void close();

  /** Decodes one generated sequence incrementally. Not thread-safe. */
  interface Detokenizer {
    /**
     * Takes the next generated id and returns the text it completes: empty while the id only
     * starts a character (a byte of a multi-byte UTF-8 character), never half a character.
     */
    String push(int id);

    /** Returns what is held back at the end of generation (an incomplete character as U+FFFD). */
    String flush();
  }
}
