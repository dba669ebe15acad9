package io.modelmux.djl;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The built-in byte-level tokenizer: a token id is the value of one UTF-8 byte (vocabulary 256,
 * no special tokens). Output bytes that do not yet form a whole character are held back until
 * they do; invalid sequences decode to U+FFFD.
 */
final class ByteTokenizer implements TextTokenizer {
  static final int VOCAB = 256;

  @Override
  public int[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    int[] ids = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = bytes[i] & 0xFF;
    }
    return ids;
  }

  @Override
  public int vocabSize() {
    return VOCAB;
  }

  @Override
  public int eosId() {
    return -1;
  }

  @Override
  public Detokenizer newDetokenizer() {
    return new Utf8Detokenizer();
  }

  @Override
  public void close() {}

  /** Decodes bytes as they come, keeping an incomplete trailing sequence for the next push. */
  static final class Utf8Detokenizer implements Detokenizer {
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final ByteBuffer pending = ByteBuffer.allocate(8);
    private final CharBuffer out = CharBuffer.allocate(16);

    @Override
    public String push(int id) {
      if (id < 0 || id >= VOCAB) {
        throw new IllegalArgumentException("byte token id out of range: " + id);
      }
      pending.put((byte) id);
      pending.flip();
      out.clear();
      decoder.decode(pending, out, false);
      pending.compact();
      out.flip();
      return out.toString();
    }

    @Override
    public String flush() {
      pending.flip();
      out.clear();
      decoder.decode(pending, out, true);
      decoder.flush(out);
      pending.clear();
      decoder.reset();
      out.flip();
      return out.toString();
    }
  }
}
