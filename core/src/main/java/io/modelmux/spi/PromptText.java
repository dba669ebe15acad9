package io.modelmux.spi;

import io.modelmux.ChatMessage;
import io.modelmux.GenerateRequest;
import java.util.Locale;
import java.util.Objects;

/**
 * The text a backend without chat messages (a plain language model, an OpenAI-style
 * {@code /completions} endpoint) continues: the prompt as given, or chat messages rendered as a
 * transcript ending in {@code "Assistant:"}, one {@code "Role: content"} line per message.
 */
public final class PromptText {
  private PromptText() {}

  /**
   * Returns the text to continue for {@code request}.
   *
   * @param request the request; not null
   * @return the prompt, or the messages as a transcript
   */
  public static String of(GenerateRequest request) {
    Objects.requireNonNull(request, "request");
    if (request.prompt().isPresent()) {
      return request.prompt().get();
    }
    StringBuilder sb = new StringBuilder();
    for (ChatMessage m : request.messages()) {
      String role = m.role().name();
      sb.append(role.charAt(0)).append(role.substring(1).toLowerCase(Locale.ROOT)).append(": ").append(m.content()).append('\n');
    }
    return sb.append("Assistant:").toString();
  }
}
