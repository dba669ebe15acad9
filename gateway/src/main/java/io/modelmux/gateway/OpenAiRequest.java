package io.modelmux.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.modelmux.ChatMessage;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelMuxException;
import io.modelmux.spi.MessageText;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A request body of {@code POST /v1/chat/completions} or {@code POST /v1/completions}, read into
 * a {@link GenerateRequest}. Fields that would change what is asked for but that ModelMux cannot
 * honour ({@code n > 1}, tools, a response format, log probabilities, echo, suffix) are refused
 * with a 400 that names them, rather than ignored; fields that only tune (penalties, logit bias,
 * {@code user} used as the routing key) are accepted.
 */
final class OpenAiRequest {
  /** Whether the body is a chat or a text completion. */
  enum Kind {
    CHAT,
    TEXT
  }

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  static {
    // Bounds what a hostile body can make the parser hold, beyond the gateway's body limit.
    JSON.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxNestingDepth(64).maxNumberLength(100).build());
  }

  final Kind kind;
  final @Nullable String model;
  final boolean stream;
  final boolean includeUsage;
  final GenerateRequest request;

  private OpenAiRequest(
      Kind kind, @Nullable String model, boolean stream, boolean includeUsage, GenerateRequest request) {
    this.kind = kind;
    this.model = model;
    this.stream = stream;
    this.includeUsage = includeUsage;
    this.request = request;
  }

  /** Thrown for a body the gateway refuses, with the 400 it answers. */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient ApiError error;

    Refused(String message, @Nullable String param) {
      super(message, null, false, false);
      this.error = ApiError.invalid(message, param);
    }
  }

  /**
   * Reads a body.
   *
   * @param routingKey the {@code X-ModelMux-Routing-Key} header, which wins over {@code user}
   * @param timeout how long the request may take, or null for the manager's defaults
   */
  static OpenAiRequest parse(
      Kind kind, byte[] body, @Nullable String routingKey, @Nullable Duration timeout) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new Refused("The request body is not valid JSON: " + e.getOriginalMessage(), null);
    } catch (IOException e) {
      throw new Refused("The request body could not be read: " + e.getMessage(), null);
    }
    if (root == null || !root.isObject()) {
      throw new Refused("The request body must be a JSON object.", null);
    }
    GenerateRequest.Builder b = GenerateRequest.builder();
    String model = text(root, "model");
    try {
      if (model != null && !model.isBlank()) {
        b.model(model);
      }
      if (kind == Kind.CHAT) {
        b.messages(messages(root));
      } else {
        b.prompt(prompt(root));
      }
      refuseUnsupported(kind, root);
      Integer maxTokens = integer(root, kind == Kind.CHAT ? "max_completion_tokens" : "max_tokens");
      if (maxTokens == null) {
        maxTokens = integer(root, "max_tokens");
      }
      if (maxTokens != null) {
        b.maxTokens(maxTokens);
      }
      Double temperature = number(root, "temperature");
      if (temperature != null) {
        b.temperature(temperature);
      }
      Double topP = number(root, "top_p");
      if (topP != null) {
        b.topP(topP);
      }
      Integer topK = integer(root, "top_k");
      if (topK != null && topK > 0) { // vLLM's extension; -1 and 0 mean "off" there
        b.topK(topK);
      }
      Long seed = longValue(root, "seed");
      if (seed != null) {
        b.seed(seed);
      }
      List<String> stop = stop(root);
      if (!stop.isEmpty()) {
        b.stop(stop.toArray(String[]::new));
      }
      String user = text(root, "user");
      if (routingKey != null && !routingKey.isBlank()) {
        b.routingKey(routingKey);
      } else if (user != null && !user.isBlank()) {
        b.routingKey(user);
      }
      if (timeout != null) {
        b.timeout(timeout);
      }
    } catch (IllegalArgumentException | ModelMuxException e) {
      throw new Refused(e.getMessage(), null);
    }
    boolean stream = bool(root, "stream");
    boolean includeUsage = false;
    JsonNode options = root.get("stream_options");
    if (options != null && !options.isNull()) {
      if (!options.isObject()) {
        throw new Refused("'stream_options' must be an object.", "stream_options");
      }
      includeUsage = bool(options, "include_usage");
    }
    return new OpenAiRequest(kind, model, stream, includeUsage, b.build());
  }

  private static List<ChatMessage> messages(JsonNode root) {
    JsonNode messages = root.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new Refused("'messages' must be a non-empty array of {role, content}.", "messages");
    }
    List<ChatMessage> out = new ArrayList<>(messages.size());
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      String param = "messages[" + i + "]";
      if (!m.isObject()) {
        throw new Refused("'" + param + "' must be an object with a role and content.", param);
      }
      String role = text(m, "role");
      ChatMessage.Role r = role == null ? null : ROLES.get(role);
      if (r == null) {
        throw new Refused(
            "'" + param + ".role' must be one of system, developer, user, assistant"
                + (role == null ? "" : "; got '" + MessageText.clip(role) + "'")
                + (role != null && role.equals("tool") ? " (tool calls are not supported)" : "")
                + ".",
            param + ".role");
      }
      out.add(new ChatMessage(r, content(m.get("content"), param + ".content")));
    }
    return out;
  }

  private static final Map<String, ChatMessage.Role> ROLES = Map.of(
      "system", ChatMessage.Role.SYSTEM,
      "developer", ChatMessage.Role.SYSTEM,
      "user", ChatMessage.Role.USER,
      "assistant", ChatMessage.Role.ASSISTANT);

  /** A message's content: a string, or an array of parts of which only text parts are taken. */
  private static String content(@Nullable JsonNode content, String param) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.textValue();
    }
    if (content.isArray()) {
      StringBuilder text = new StringBuilder();
      for (JsonNode part : content) {
        String type = part.isObject() ? text(part, "type") : null;
        if (!"text".equals(type) || !part.path("text").isTextual()) {
          throw new Refused(
              "'" + param + "' may hold only text parts ({\"type\": \"text\", \"text\": ...})"
                  + (type == null ? "" : "; got a part of type '" + MessageText.clip(type) + "'") + ".",
              param);
        }
        text.append(part.get("text").textValue());
      }
      return text.toString();
    }
    throw new Refused("'" + param + "' must be a string or an array of text parts.", param);
  }

  private static String prompt(JsonNode root) {
    JsonNode prompt = root.get("prompt");
    if (prompt != null && prompt.isTextual()) {
      return prompt.textValue();
    }
    if (prompt != null && prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
      return prompt.get(0).textValue();
    }
    throw new Refused(
        "'prompt' must be a string (or an array of one string; token arrays and batches are not"
            + " supported).",
        "prompt");
  }

  private static void refuseUnsupported(Kind kind, JsonNode root) {
    Integer n = integer(root, "n");
    if (n != null && n != 1) {
      throw new Refused("'n' must be 1: one choice per request is supported; got " + n + ".", "n");
    }
    JsonNode tools = root.get("tools");
    if (tools != null && !tools.isNull() && !(tools.isArray() && tools.isEmpty())) {
      throw new Refused("'tools' is not supported by this gateway.", "tools");
    }
    JsonNode functions = root.get("functions");
    if (functions != null && !functions.isNull() && !(functions.isArray() && functions.isEmpty())) {
      throw new Refused("'functions' is not supported by this gateway.", "functions");
    }
    JsonNode format = root.get("response_format");
    if (format != null && !format.isNull() && !"text".equals(text(format, "type"))) {
      throw new Refused("'response_format' other than {\"type\": \"text\"} is not supported.", "response_format");
    }
    JsonNode logprobs = root.get("logprobs");
    if (logprobs != null && !logprobs.isNull() && !(logprobs.isBoolean() && !logprobs.booleanValue())) {
      throw new Refused("'logprobs' is not supported.", "logprobs");
    }
    if (kind == Kind.TEXT) {
      if (bool(root, "echo")) {
        throw new Refused("'echo' is not supported.", "echo");
      }
      String suffix = text(root, "suffix");
      if (suffix != null && !suffix.isEmpty()) {
        throw new Refused("'suffix' is not supported.", "suffix");
      }
      Integer bestOf = integer(root, "best_of");
      if (bestOf != null && bestOf != 1) {
        throw new Refused("'best_of' must be 1.", "best_of");
      }
    }
  }

  private static List<String> stop(JsonNode root) {
    JsonNode stop = root.get("stop");
    if (stop == null || stop.isNull()) {
      return List.of();
    }
    if (stop.isTextual()) {
      return List.of(stop.textValue());
    }
    if (stop.isArray()) {
      List<String> out = new ArrayList<>();
      for (JsonNode s : stop) {
        if (!s.isTextual()) {
          throw new Refused("'stop' must be a string or an array of strings.", "stop");
        }
        out.add(s.textValue());
      }
      return out;
    }
    throw new Refused("'stop' must be a string or an array of strings.", "stop");
  }

  private static @Nullable String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new Refused("'" + field + "' must be a string.", field);
    }
    return v.textValue();
  }

  private static boolean bool(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw new Refused("'" + field + "' must be true or false.", field);
    }
    return v.booleanValue();
  }

  private static @Nullable Double number(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber()) {
      throw new Refused("'" + field + "' must be a number.", field);
    }
    return v.doubleValue();
  }

  private static @Nullable Integer integer(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new Refused("'" + field + "' must be a whole number.", field);
    }
    return v.intValue();
  }

  private static @Nullable Long longValue(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new Refused("'" + field + "' must be a whole number.", field);
    }
    return v.longValue();
  }
}
