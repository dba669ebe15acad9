package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.ChatMessage;
import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.PromptText;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chat requests are rendered with the model's own chat template from its GGUF metadata; a model
 * without one (the shipped tiny GGUF) gets {@link PromptText}'s transcript.
 */
class ChatTemplateTest {
  @TempDir Path dir;

  /** A template llama.cpp's Jinja engine (minja) runs; it refuses filters such as {@code upper}. */
  static final String TEMPLATE =
      "{%- for message in messages -%}{{ message['role'] }}: {{ message['content'] }}{{ '\\n' }}{%- endfor -%}"
          + "{%- if add_generation_prompt -%}assistant:{%- endif -%}";

  private static LlamaCppAdapter adapter(String path) {
    return (LlamaCppAdapter) new LlamaCppModelFactory().create(
        ModelSpec.builder("chat", "llamacpp").option("path", path).option("parallel", 1).option("kv_cache_type", "f32")
            .device("cpu").build());
  }

  private static GenerateRequest chat() {
    return GenerateRequest.builder()
        .messages(List.of(ChatMessage.system("Speak as a king."), ChatMessage.user("Who goes there?")))
        .temperature(0).maxTokens(32).build();
  }

  private static GenerateRequest plain(String prompt) {
    return GenerateRequest.builder().prompt(prompt).temperature(0).maxTokens(32).build();
  }

  @Test
  void a_model_with_a_chat_template_renders_messages_with_it() throws IOException {
    ByteArrayOutputStream gguf = new ByteArrayOutputStream();
    TinyLmToGguf.convert("classpath:/models/tiny-lm", gguf, TEMPLATE);
    Path file = Files.write(dir.resolve("chat.gguf"), gguf.toByteArray());
    try (LlamaCppAdapter a = adapter(file.toString())) {
      a.load();
      String rendered = "system: Speak as a king.\nuser: Who goes there?\nassistant:";
      assertThat(a.generate(chat()).text()).isEqualTo(a.generate(plain(rendered)).text()).isNotEmpty();
    }
  }

  @Test
  void a_model_without_one_gets_the_transcript() {
    try (LlamaCppAdapter a = adapter(TinyGguf.CLASSPATH)) {
      a.load();
      String transcript = PromptText.of(chat());
      assertThat(transcript).isEqualTo("System: Speak as a king.\nUser: Who goes there?\nAssistant:");
      assertThat(a.generate(chat()).text()).isEqualTo(a.generate(plain(transcript)).text()).isNotEmpty();
    }
  }
}
