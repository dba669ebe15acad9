package io.modelmux.spi;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.ChatMessage;
import io.modelmux.GenerateRequest;
import org.junit.jupiter.api.Test;

class PromptTextTest {
  @Test
  void should_render_chat_messages_as_a_transcript_ending_with_the_assistant() {
    GenerateRequest chat =
        GenerateRequest.builder().message(ChatMessage.system("Be brief.")).message(ChatMessage.user("Hi")).build();

    assertThat(PromptText.of(chat)).isEqualTo("System: Be brief.\nUser: Hi\nAssistant:");
  }

  @Test
  void should_pass_a_plain_prompt_through() {
    assertThat(PromptText.of(GenerateRequest.of("To be"))).isEqualTo("To be");
  }
}
