package io.modelmux.llamacpp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a built-in tiny LM (a {@code tiny-lm.json} and {@code tiny-lm-0000.params} directory,
 * as {@code TinyLmTrainer} saves it) as a GGUF file that llama.cpp serves as a GPT-2: learned
 * token and position embeddings, pre-norm blocks with a fused QKV projection and biases, a GELU
 * MLP, a final norm, and the output head (a copy of the token embedding, to which the tiny
 * LM ties it). The byte-level vocabulary
 * becomes 256 tokens, token {@code i} being GPT-2's printable stand-in for byte {@code i}, so that
 * llama.cpp's GPT-2 tokenizer gives each byte its own id, as the tiny LM's byte tokenizer does.
 *
 * <p>Command line: {@code java -cp modelmux.jar io.modelmux.llamacpp.TinyLmToGguf <tiny-lm
 * directory | classpath:/models/tiny-lm> <out.gguf>}. The shipped
 * {@code models/tiny-lm.gguf} was written so from the shipped tiny LM; a test checks that it
 * still is, byte for byte.
 */
public final class TinyLmToGguf {
  /**
   * llama.cpp refuses a GPT-2 vocabulary without merges. This one never applies: bytes 0xFF
   * never occur in UTF-8 text, and its merged token is not in the vocabulary, so the tokenizer
   * falls back to the two bytes even if it did.
   */
  static final String UNUSED_MERGE = "\u00ff \u00ff";

  /** The end-of-text token: byte 0, which text never holds (the tiny LM itself has none). */
  static final int EOS = 0;

  private TinyLmToGguf() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: TinyLmToGguf <tiny-lm directory | classpath:/models/tiny-lm> <out.gguf>");
      System.exit(2);
    }
    Path out = Path.of(args[1]);
    try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(out))) {
      convert(args[0], o);
    }
    System.out.println("wrote " + out + " (" + Files.size(out) + " bytes)");
  }

  /** Converts the tiny LM at {@code source} (a directory, or {@code classpath:/...}) into {@code out}. */
  static void convert(String source, OutputStream out) throws IOException {
    convert(source, out, null);
  }

  /** Converts, adding {@code chatTemplate} (Jinja) as the model's chat template when not null. */
  static void convert(String source, OutputStream out, String chatTemplate) throws IOException {
    JsonNode config;
    Map<String, float[]> params;
    Map<String, long[]> shapes = new HashMap<>();
    try (InputStream c = open(source, "tiny-lm.json")) {
      config = new ObjectMapper().readTree(c);
    }
    if (!"modelmux-tiny-lm".equals(config.path("format").asText()) || !"byte".equals(config.path("tokenizer").asText())) {
      throw new IOException(source + " is not a tiny LM with the byte tokenizer (tiny-lm.json: format "
          + config.path("format") + ", tokenizer " + config.path("tokenizer") + ")");
    }
    try (InputStream p = open(source, "tiny-lm-0000.params")) {
      params = readParams(new DataInputStream(new BufferedInputStream(p, 1 << 16)), shapes);
    }
    int vocab = config.path("vocab_size").asInt();
    int context = config.path("context_length").asInt();
    int d = config.path("d_model").asInt();
    int layers = config.path("layers").asInt();
    int heads = config.path("heads").asInt();
    int hidden = d * config.path("mlp_ratio").asInt();
    if (vocab != 256) {
      throw new IOException(source + " has " + vocab + " tokens; the byte tokenizer has 256");
    }
    GgufWriter w = new GgufWriter()
        .put("general.architecture", "gpt2")
        .put("general.name", "tiny-lm")
        .put("general.description", "ModelMux's built-in tiny LM (trained on tinyshakespeare), converted by TinyLmToGguf")
        .put("general.file_type", new GgufWriter.UInt32(0)) // all float32
        .put("gpt2.context_length", new GgufWriter.UInt32(context))
        .put("gpt2.embedding_length", new GgufWriter.UInt32(d))
        .put("gpt2.feed_forward_length", new GgufWriter.UInt32(hidden))
        .put("gpt2.block_count", new GgufWriter.UInt32(layers))
        .put("gpt2.attention.head_count", new GgufWriter.UInt32(heads))
        .put("gpt2.attention.layer_norm_epsilon", 1e-5f)
        .put("tokenizer.ggml.model", "gpt2")
        .put("tokenizer.ggml.pre", "gpt-2")
        .put("tokenizer.ggml.tokens", byteTokens())
        .put("tokenizer.ggml.token_type", Collections.nCopies(256, 1)) // normal
        .put("tokenizer.ggml.merges", List.of(UNUSED_MERGE))
        .put("tokenizer.ggml.bos_token_id", new GgufWriter.UInt32(EOS))
        .put("tokenizer.ggml.eos_token_id", new GgufWriter.UInt32(EOS))
        .put("tokenizer.ggml.add_bos_token", false)
        .put("tokenizer.ggml.add_eos_token", false);
    float[] embedding = take(params, shapes, "tok_emb", vocab, d);
    if (chatTemplate != null) {
      w.put("tokenizer.chat_template", chatTemplate);
    }
    w.tensor("token_embd.weight", embedding, vocab, d);
    w.tensor("position_embd.weight", take(params, shapes, "pos_emb", context, d), context, d);
    for (int l = 0; l < layers; l++) {
      String p = "l" + l + ".";
      String b = "blk." + l + ".";
      w.tensor(b + "attn_norm.weight", take(params, shapes, p + "ln1.gamma", d), d);
      w.tensor(b + "attn_norm.bias", take(params, shapes, p + "ln1.beta", d), d);
      // DJL multiplies x by W ([in, out]); ggml's weights are [out, in] in numpy order
      w.tensor(b + "attn_qkv.weight", transpose(take(params, shapes, p + "attn.w_qkv", d, 3 * d), d, 3 * d), 3 * d, d);
      w.tensor(b + "attn_qkv.bias", take(params, shapes, p + "attn.b_qkv", 3 * d), 3 * d);
      w.tensor(b + "attn_output.weight", transpose(take(params, shapes, p + "attn.w_out", d, d), d, d), d, d);
      w.tensor(b + "attn_output.bias", take(params, shapes, p + "attn.b_out", d), d);
      w.tensor(b + "ffn_norm.weight", take(params, shapes, p + "ln2.gamma", d), d);
      w.tensor(b + "ffn_norm.bias", take(params, shapes, p + "ln2.beta", d), d);
      w.tensor(b + "ffn_up.weight", transpose(take(params, shapes, p + "mlp.w_fc", d, hidden), d, hidden), hidden, d);
      w.tensor(b + "ffn_up.bias", take(params, shapes, p + "mlp.b_fc", hidden), hidden);
      w.tensor(b + "ffn_down.weight", transpose(take(params, shapes, p + "mlp.w_proj", hidden, d), hidden, d), d, hidden);
      w.tensor(b + "ffn_down.bias", take(params, shapes, p + "mlp.b_proj", d), d);
    }
    w.tensor("output_norm.weight", take(params, shapes, "ln_f.gamma", d), d);
    w.tensor("output_norm.bias", take(params, shapes, "ln_f.beta", d), d);
    // the head is tied to the token embedding; llama.cpp's GPT-2 wants it as a tensor of its own
    w.tensor("output.weight", embedding, vocab, d);
    if (!params.isEmpty()) {
      throw new IOException(source + " has parameters this converter does not know: " + params.keySet());
    }
    w.write(out);
  }

  /** Returns GPT-2's byte-to-unicode table: token {@code i} is the character standing for byte {@code i}. */
  static List<String> byteTokens() {
    String[] tokens = new String[256];
    int next = 256;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      tokens[b] = new String(Character.toChars(printable ? b : next++));
    }
    return List.of(tokens);
  }

  private static float[] take(Map<String, float[]> params, Map<String, long[]> shapes, String name, long... shape) throws IOException {
    float[] v = params.remove(name);
    if (v == null) {
      throw new IOException("the tiny LM has no parameter " + name);
    }
    if (!java.util.Arrays.equals(shapes.get(name), shape)) {
      throw new IOException("parameter " + name + " has shape " + java.util.Arrays.toString(shapes.get(name))
          + ", expected " + java.util.Arrays.toString(shape) + " from tiny-lm.json");
    }
    return v;
  }

  private static float[] transpose(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = a[r * cols + c];
      }
    }
    return t;
  }

  private static InputStream open(String source, String file) throws IOException {
    if (source.startsWith("classpath:")) {
      String base = source.substring("classpath:".length()).replaceFirst("^/", "");
      InputStream in = TinyLmToGguf.class.getClassLoader().getResourceAsStream(base + "/" + file);
      if (in == null) {
        throw new IOException("class path resource " + base + "/" + file + " does not exist");
      }
      return in;
    }
    return Files.newInputStream(Path.of(source).resolve(file));
  }

  /**
   * Reads a DJL {@code .params} file (a model header, then the block's parameters, each an
   * {@code NDAR}-encoded array) into float32 arrays by name.
   */
  static Map<String, float[]> readParams(DataInputStream in, Map<String, long[]> shapes) throws IOException {
    byte[] magic = new byte[4];
    in.readFully(magic);
    if (!"DJL@".equals(new String(magic, java.nio.charset.StandardCharsets.US_ASCII))) {
      throw new IOException("not a DJL parameter file (no DJL@ header)");
    }
    int version = in.readInt();
    if (version != 1) {
      throw new IOException("DJL parameter file version " + version + "; this reads version 1");
    }
    in.readUTF(); // model name
    in.readUTF(); // data type
    int inputs = in.readInt();
    for (int i = 0; i < inputs; i++) {
      in.readUTF();
      readShape(in);
    }
    int properties = in.readInt();
    for (int i = 0; i < properties; i++) {
      in.readUTF();
      in.readUTF();
    }
    in.readByte(); // block version
    int inputShapes = in.readInt();
    for (int i = 0; i < inputShapes; i++) {
      readShape(in);
    }
    Map<String, float[]> params = new java.util.LinkedHashMap<>();
    List<String> order = new ArrayList<>();
    while (true) {
      char marker;
      try {
        marker = in.readChar();
      } catch (EOFException end) {
        break;
      }
      if (marker != 'P') {
        throw new IOException("uninitialized or unknown parameter entry '" + marker + "' after " + order);
      }
      in.readByte(); // parameter version
      String name = in.readUTF();
      if (!"NDAR".equals(in.readUTF())) {
        throw new IOException("parameter " + name + ": no NDAR header");
      }
      int arrayVersion = in.readInt();
      if (arrayVersion != 3) {
        throw new IOException("parameter " + name + ": array encoding version " + arrayVersion + "; this reads version 3");
      }
      if (in.readByte() == 1) {
        in.readUTF(); // the array's own name
      }
      in.readUTF(); // sparse format
      String dtype = in.readUTF();
      long[] shape = readShape(in);
      ByteOrder order2 = in.readByte() == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
      int length = in.readInt();
      if (!"FLOAT32".equals(dtype)) {
        throw new IOException("parameter " + name + " is " + dtype + "; the converter reads FLOAT32");
      }
      byte[] data = new byte[length];
      in.readFully(data);
      float[] values = new float[length / 4];
      ByteBuffer.wrap(data).order(order2).asFloatBuffer().get(values);
      params.put(name, values);
      shapes.put(name, shape);
      order.add(name);
    }
    return params;
  }

  private static long[] readShape(DataInputStream in) throws IOException {
    int dims = in.readInt();
    long[] shape = new long[dims];
    for (int i = 0; i < dims; i++) {
      shape[i] = in.readLong();
    }
    int layout = in.readInt();
    for (int i = 0; i < layout; i++) {
      in.readChar();
    }
    return shape;
  }
}
