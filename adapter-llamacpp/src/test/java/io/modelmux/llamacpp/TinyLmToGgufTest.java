package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The converter, and the shipped GGUF being exactly what it writes from the shipped tiny LM. */
class TinyLmToGgufTest {
  @TempDir Path dir;

  @Test
  void the_shipped_gguf_is_what_the_converter_writes_from_the_shipped_tiny_lm() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TinyLmToGguf.convert("classpath:/models/tiny-lm", out);
    assertThat(out.toByteArray()).as("models/tiny-lm.gguf; rewrite it with TinyLmToGguf (command in its javadoc)")
        .isEqualTo(TinyGguf.bytes());
  }

  @Test
  void the_gguf_reads_back_as_a_gpt2_with_the_tiny_lms_shape_and_a_byte_vocabulary() throws IOException {
    Gguf g = Gguf.read(TinyGguf.copy(dir.resolve("t.gguf")));
    assertThat(g.architecture()).isEqualTo("gpt2");
    assertThat(g.archInteger("context_length")).hasValue(128);
    assertThat(g.archInteger("embedding_length")).hasValue(128);
    assertThat(g.archInteger("block_count")).hasValue(4);
    assertThat(g.archInteger("attention.head_count")).hasValue(4);
    assertThat(g.metadata().get("tokenizer.ggml.tokens")).isEqualTo(new Gguf.ArrayInfo(Gguf.VALUE_STRING, 256));
    assertThat(g.tensors()).hasSize(2 + 12 * 4 + 3);
    assertThat(g.tensorBytes()).isEqualTo((842_496L + 256 * 128) * 4); // the tied head written out once more
    assertThat(g.string("tokenizer.chat_template")).isNull();
  }

  @Test
  void byte_tokens_are_gpt2s_printable_stand_ins_one_per_byte() {
    List<String> tokens = TinyLmToGguf.byteTokens();
    assertThat(tokens).hasSize(256);
    assertThat(new HashSet<>(tokens)).hasSize(256);
    assertThat(tokens.get('A')).isEqualTo("A");
    assertThat(tokens.get(' ')).isEqualTo("\u0120"); // GPT-2's Ġ
    assertThat(tokens.get('\n')).isEqualTo("\u010a"); // Ċ
    assertThat(tokens.get(0xFF)).isEqualTo("\u00ff");
  }

  @Test
  void the_command_line_writes_the_file() throws Exception {
    Path out = dir.resolve("cli.gguf");
    TinyLmToGguf.main(new String[] {"classpath:/models/tiny-lm", out.toString()});
    assertThat(Files.readAllBytes(out)).isEqualTo(TinyGguf.bytes());
  }

  @Test
  void a_directory_that_is_not_a_tiny_lm_is_refused() throws IOException {
    Files.writeString(dir.resolve("tiny-lm.json"), "{\"format\":\"other\"}");
    Files.write(dir.resolve("tiny-lm-0000.params"), new byte[] {'D', 'J', 'L', '@', 0, 0, 0, 1});
    assertThatThrownBy(() -> TinyLmToGguf.convert(dir.toString(), new ByteArrayOutputStream()))
        .isInstanceOf(IOException.class).hasMessageContaining("is not a tiny LM");
  }
}
