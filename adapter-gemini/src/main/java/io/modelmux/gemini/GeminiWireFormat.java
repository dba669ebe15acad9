package io.modelmux.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelmux.ChatMessage;
import io.modelmux.FinishReason;
import io.modelmux.GenerateOptions;
import io.modelmux.GenerateRequest;
import io.modelmux.InvalidRequestException;
import io.modelmux.http.internal.WireJson;
import io.modelmux.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Gemini's JSON, both ways: request bodies for {@code generateContent}, {@code
 * streamGenerateContent} and {@code countTokens}, and the pieces of a {@code
 * GenerateContentResponse} (text, finish reason, usage). Fields this class does not know are
 * ignored.
 */
final class GeminiWireFormat {
  private GeminiWireFormat() {}

  /**
   * Returns the body of a {@code generateContent} or {@code streamGenerateContent} request: chat
   * messages as {@code contents} with roles {@code user} and {@code model} (consecutive messages of
   * one role merged into one content of several parts), system messages as {@code
   * systemInstruction} wherever they stand, a plain prompt as one user content, and the options as
   * {@code generationConfig}.
   *
   * @throws InvalidRequestException if the request has no user or assistant message, or a seed
   *     outside Gemini's 32 bits
   */
  static ObjectNode generateContent(GenerateRequest request, String modelId) {
    ObjectNode body = WireJson.MAPPER.createObjectNode();
    putConversation(body, request, modelId);
    ObjectNode config = generationConfig(request.options(), modelId);
    if (!config.isEmpty()) {
      body.set("generationConfig", config);
    }
    return body;
  }

  /**
   * Returns the body of a {@code countTokens} request: {@code {"contents": [...]}} as the API's
   * samples send it, or, when there are system messages, the {@code generateContentRequest} form
   * so that the system instruction is counted too.
   */
  static ObjectNode countTokens(GenerateRequest request, String model, String modelId) {
    ObjectNode conversation = WireJson.MAPPER.createObjectNode();
    putConversation(conversation, request, modelId);
    if (!conversation.has("systemInstruction")) {
      return conversation;
    }
    ObjectNode body = WireJson.MAPPER.createObjectNode();
    ObjectNode inner = body.putObject("generateContentRequest");
    inner.put("model", "models/" + model);
    inner.setAll(conversation);
    return body;
  }

  static byte[] bytes(JsonNode body) {
    try {
      return WireJson.MAPPER.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write a JSON tree", e); // cannot happen for a tree
    }
  }

  private static void putConversation(ObjectNode body, GenerateRequest request, String modelId) {
    ArrayNode contents = body.putArray("contents");
    if (request.prompt().isPresent()) {
      addPart(contents, "user", request.prompt().get());
      return;
    }
    ArrayNode system = null;
    for (ChatMessage m : request.messages()) {
      switch (m.role()) {
        case SYSTEM:
          if (system == null) {
            system = WireJson.MAPPER.createArrayNode();
          }
          system.addObject().put("text", m.content());
          break;
        case ASSISTANT:
          addPart(contents, "model", m.content());
          break;
        default:
          addPart(contents, "user", m.content());
          break;
      }
    }
    if (contents.isEmpty()) {
      throw new InvalidRequestException(
          "the request to model '" + modelId + "' has no user or assistant message; Gemini needs at least one"
              + " (system messages go to its systemInstruction)",
          modelId, null);
    }
    if (system != null) {
      body.putObject("systemInstruction").set("parts", system);
    }
  }

  /** Adds a text part to the last content if it has {@code role}, else a new content. */
  private static void addPart(ArrayNode contents, String role, String text) {
    JsonNode last = contents.isEmpty() ? null : contents.get(contents.size() - 1);
    ArrayNode parts;
    if (last != null && role.equals(last.path("role").asText())) {
      parts = (ArrayNode) last.path("parts");
    } else {
      ObjectNode content = contents.addObject();
      content.put("role", role);
      parts = content.putArray("parts");
    }
    parts.addObject().put("text", text);
  }

  private static ObjectNode generationConfig(GenerateOptions o, String modelId) {
    ObjectNode config = WireJson.MAPPER.createObjectNode();
    o.maxTokens().ifPresent(n -> config.put("maxOutputTokens", n));
    o.temperature().ifPresent(t -> config.put("temperature", t));
    o.topP().ifPresent(p -> config.put("topP", p));
    o.topK().ifPresent(k -> config.put("topK", k));
    if (!o.stop().isEmpty()) {
      ArrayNode stop = config.putArray("stopSequences");
      o.stop().forEach(stop::add);
    }
    if (o.seed().isPresent()) {
      long seed = o.seed().getAsLong();
      if (seed < Integer.MIN_VALUE || seed > Integer.MAX_VALUE) {
        throw new InvalidRequestException(
            "the seed " + seed + " of the request to model '" + modelId + "' does not fit Gemini's 32-bit seed;"
                + " use a seed between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE,
            modelId, null);
      }
      config.put("seed", (int) seed);
    }
    return config;
  }

  // ---- responses -------------------------------------------------------------------------------

  /** Returns the text of a candidate: its parts' {@code text} joined, leaving out thoughts. */
  static String text(JsonNode candidate) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode part : candidate.path("content").path("parts")) {
      if (part.path("thought").asBoolean(false)) {
        continue;
      }
      JsonNode text = part.path("text");
      if (text.isTextual()) {
        sb.append(text.asText());
      }
    }
    return sb.toString();
  }

  /** Maps Gemini's {@code finishReason}; null for none or {@code FINISH_REASON_UNSPECIFIED}. */
  static @Nullable FinishReason finishReason(@Nullable String reason) {
    if (reason == null || reason.isEmpty() || reason.equals("FINISH_REASON_UNSPECIFIED")) {
      return null;
    }
    switch (reason.toUpperCase(Locale.ROOT)) {
      case "STOP":
        return FinishReason.STOP;
      case "MAX_TOKENS":
        return FinishReason.LENGTH;
      case "SAFETY":
      case "RECITATION":
      case "BLOCKLIST":
      case "PROHIBITED_CONTENT":
      case "SPII":
      case "IMAGE_SAFETY":
        return FinishReason.CONTENT_FILTER;
      default:
        return FinishReason.OTHER; // LANGUAGE, MALFORMED_FUNCTION_CALL, OTHER, and reasons added later
    }
  }

  /**
   * Returns the usage of {@code usageMetadata}: prompt tokens, and as completion tokens the
   * answer's plus the thinking tokens (both billed as output); null without a prompt count.
   */
  static @Nullable Usage usage(JsonNode usageMetadata) {
    if (!usageMetadata.isObject() || !usageMetadata.path("promptTokenCount").isNumber()) {
      return null;
    }
    long prompt = Math.max(0, usageMetadata.path("promptTokenCount").asLong());
    long completion =
        Math.max(0, usageMetadata.path("candidatesTokenCount").asLong(0))
            + Math.max(0, usageMetadata.path("thoughtsTokenCount").asLong(0));
    return new Usage(prompt, completion);
  }
}
