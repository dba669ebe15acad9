package io.modelmux.djl;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.ModelLoadException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json}, through DJL's tokenizers binding (native, bundled,
 * offline). Truncation and padding are turned off: ModelMux truncates prompts itself, from the
 * left, with a warning (the library's default would cut at 512 tokens silently).
 */
final class HuggingFaceTextTokenizer implements TextTokenizer {
  private final HuggingFaceTokenizer tokenizer;
  private final int vocabSize;
  private final int eosId;

  private HuggingFaceTextTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize, int eosId) {
    this.tokenizer = tokenizer;
    this.vocabSize = vocabSize;
    this.eosId = eosId;
  }

  /**
   * Loads {@code file}.
   *
   * @param eosId the end-of-sequence id from the model's settings, or -1 to look for a usual
   *     end token ({@code </s>}, {@code <|endoftext|>}, {@code <eos>}) among the added tokens
   */
  static HuggingFaceTextTokenizer load(Path file, String modelId, int eosId) {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException(
          "tokenizer file " + file + " of model '" + modelId + "' does not exist; fix 'tokenizer'"
              + " or use 'tokenizer: byte'",
          modelId,
          null);
    }
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new ModelLoadException(
          "tokenizer file " + file + " of model '" + modelId + "' is not valid JSON: "
              + e.getMessage(),
          modelId,
          e);
    }
    int size = 0;
    int eos = eosId;
    JsonNode vocab = root.path("model").path("vocab");
    if (vocab.isObject()) {
      for (Map.Entry<String, JsonNode> entry : vocab.properties()) {
        size = Math.max(size, entry.getValue().asInt() + 1);
      }
    } else if (vocab.isArray()) {
      size = vocab.size(); // Unigram: [[piece, score], ...]
    }
    for (JsonNode added : root.path("added_tokens")) {
      int id = added.path("id").asInt(-1);
      size = Math.max(size, id + 1);
      String content = added.path("content").asText("");
      if (eos < 0
          && (content.equals("</s>") || content.equals("<|endoftext|>") || content.equals("<eos>"))) {
        eos = id;
      }
    }
    if (size == 0) {
      throw new ModelLoadException(
          "tokenizer file " + file + " of model '" + modelId + "' has no vocabulary"
              + " (model.vocab); is it a Hugging Face tokenizer.json?",
          modelId,
          null);
    }
    try {
      HuggingFaceTokenizer tokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(file)
              .optAddSpecialTokens(false)
              .optTruncation(false)
              .optPadding(false)
              .build();
      return new HuggingFaceTextTokenizer(tokenizer, size, eos);
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException(
          "tokenizer file " + file + " of model '" + modelId + "' could not be loaded: " + e,
          modelId,
          e);
    }
  }

  @Override
  public int[] encode(String text) {
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = (int) ids[i];
    }
    return out;
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public int eosId() {
    return eosId;
  }

  @Override
  public Detokenizer newDetokenizer() {
    return new Detokenizer() {
      private long[] ids = new long[16];
      private int count;
      private int emitted; // chars of the decoded text already returned

      @Override
      public String push(int id) {
        if (count == ids.length) {
          ids = java.util.Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = id;
        String text = tokenizer.decode(java.util.Arrays.copyOf(ids, count), true);
        // A byte-level BPE may end mid-character: hold back a trailing replacement char.
        int end = text.length();
        if (end > emitted && text.charAt(end - 1) == '\uFFFD') {
          end--;
        }
        if (end <= emitted) {
          return "";
        }
        String piece = text.substring(emitted, end);
        emitted = end;
        return piece;
      }

      @Override
      public String flush() {
        if (count == 0) {
          return "";
        }
        String text = tokenizer.decode(java.util.Arrays.copyOf(ids, count), true);
        String rest = text.length() > emitted ? text.substring(emitted) : "";
        emitted = text.length();
        return rest;
      }
    };
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
