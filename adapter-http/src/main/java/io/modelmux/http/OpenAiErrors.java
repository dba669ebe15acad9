package io.modelmux.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelmux.AuthenticationException;
import io.modelmux.BackendException;
import io.modelmux.ContentFilteredException;
import io.modelmux.ContextLengthExceededException;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelMuxException;
import io.modelmux.RateLimitedException;
import io.modelmux.UnknownModelException;
import io.modelmux.http.internal.BodyHead;
import io.modelmux.http.internal.RetryAfter;
import io.modelmux.http.internal.WireJson;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.Secrets;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Maps what OpenAI-compatible servers answer on failure to ModelMux's exceptions, in one place:
 * HTTP statuses, and the error bodies of each server (nested {@code {"error":{...}}}, flat
 * {@code {"object":"error",...}}, {@code {"error":"text"}}, TGI's
 * {@code {"error":..., "error_type":...}}, an empty body). Text from the server is quoted through
 * {@link MessageText} with the model's secrets blanked, whatever the status; for authentication
 * failures it is left out altogether (OpenAI's quotes part of the key).
 */
final class OpenAiErrors {

  private OpenAiErrors() {}

  /** Returns the exception for an HTTP error response. */
  static ModelMuxException forStatus(
      int status, BodyHead head, @Nullable String retryAfter, @Nullable String retryAfterMs, String modelId, String serverModel,
      String where, Secrets secrets) {
    byte[] body = head.bytes();
    String detail = message(body).orElse(null);
    String quoted = detail != null ? MessageText.quote(detail, secrets) : head.describe(secrets);
    String type = errorType(body).map(t -> MessageText.quote(t, secrets)).orElse("");
    if (status == 401 || status == 403) {
      return new AuthenticationException(
          "the server at " + where + " rejected the credentials for model '" + modelId + "' (HTTP " + status
              + (type.isEmpty() ? "" : ", " + type) + "); check the API key (api_key or api_key_env)",
          modelId, status, null, null);
    }
    if (status == 404) {
      return new UnknownModelException(
          "the server at " + where + " does not serve model '" + serverModel + "' (HTTP 404: " + quoted
              + "); check the model's 'model' option against GET " + where + "/models",
          serverModel, List.of(), null);
    }
    if (status == 429) {
      Duration wait = RetryAfter.parse(retryAfter, retryAfterMs);
      return new RateLimitedException(
          "the server at " + where + " rate-limited model '" + modelId + "' (HTTP 429: " + quoted + ")"
              + (wait != null ? "; retry after " + wait.toMillis() + " ms" : "; retry later"),
          modelId, status, wait, null);
    }
    if ((status == 400 || status == 413 || status == 422) && isContentFilter(type)) {
      return new ContentFilteredException(
          "the server at " + where + " blocked the request to model '" + modelId + "' by its content filter (HTTP " + status
              + ": " + quoted + "); rephrase it, or route such requests elsewhere (on_content_filter)",
          modelId, status, null, null);
    }
    if ((status == 400 || status == 413 || status == 422) && (looksLikeContext(quoted) || isContextType(type))) {
      int[] counts = contextCounts(body, detail);
      return new ContextLengthExceededException(
          "the server at " + where + " refused the request to model '" + modelId + "' as too long for its context (HTTP "
              + status + ": " + quoted + "); shorten the prompt, lower max tokens, or route such requests to a model with"
              + " a longer context (on_context_length)",
          modelId, status, counts[0], counts[1], null);
    }
    if (status == 400 || status == 413 || status == 422) {
      return new InvalidRequestException(
          "the server at " + where + " refused the request to model '" + modelId + "' (HTTP " + status + ": " + quoted
              + ")" + (looksLikeContext(quoted) ? "; shorten the prompt or lower max tokens" : "; fix the request"),
          modelId, status, null, null);
    }
    boolean retryable = status == 408 || status == 409 || status >= 500;
    return new BackendException(
        "the server at " + where + " failed the request to model '" + modelId + "' (HTTP " + status + ": " + quoted + ")"
            + (retryable ? "; it may succeed if retried" : ""),
        modelId, retryable, status, null, null, null);
  }

  /** Returns the exception for an error sent inside a 200 stream. */
  static BackendException inStream(JsonNode error, String modelId, String where, String partial, Secrets secrets) {
    String text = error.isTextual() ? error.asText() : error.path("message").asText(error.toString());
    int code = error.path("code").isInt() ? error.path("code").asInt() : -1;
    return new BackendException(
        "the server at " + where + " reported an error in the middle of the stream for model '" + modelId + "': "
            + MessageText.quote(text, secrets) + "; the text received so far is kept in partialText()",
        modelId, true, code, null, partial, null);
  }

  /** Returns the exception for a body that is not what the protocol promises. */
  static BackendException malformed(
      String what, byte[] body, String modelId, String where, Secrets secrets, @Nullable Throwable cause) {
    return new BackendException(
        "the server at " + where + " sent " + what + " for model '" + modelId + "': " + MessageText.body(body, secrets),
        modelId, false, cause);
  }

  static Optional<String> message(byte[] body) {
    JsonNode root = parse(body);
    if (root == null) {
      return Optional.empty();
    }
    JsonNode error = root.path("error");
    if (error.isObject() && error.path("message").isTextual()) {
      return Optional.of(error.path("message").asText()); // OpenAI, vLLM, Ollama, llama.cpp
    }
    if (error.isTextual()) {
      return Optional.of(error.asText()); // TGI, older servers
    }
    if (root.path("message").isTextual()) {
      return Optional.of(root.path("message").asText()); // flat {"object":"error",...}
    }
    if (root.path("detail").isTextual()) {
      return Optional.of(root.path("detail").asText());
    }
    return Optional.empty();
  }

  private static Optional<String> errorType(byte[] body) {
    JsonNode root = parse(body);
    if (root == null) {
      return Optional.empty();
    }
    JsonNode error = root.path("error");
    for (JsonNode n : List.of(error.path("code"), error.path("type"), root.path("error_type"), root.path("type"))) {
      if (n.isTextual() && !n.asText().isBlank()) {
        return Optional.of(n.asText());
      }
    }
    return Optional.empty();
  }

  private static @Nullable JsonNode parse(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      JsonNode n = WireJson.MAPPER.readTree(body);
      return n != null && n.isObject() ? n : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static final Pattern CONTEXT = Pattern.compile("(?:maximum context length is|context size \\() ?(\\d+)");
  private static final Pattern PROMPT =
      Pattern.compile("(?:has|resulted in|request \\() ?(\\d+)(?: input)? tokens");

  /** Returns {prompt tokens, context} from llama.cpp's fields or the message's words; -1 where unknown. */
  private static int[] contextCounts(byte[] body, @Nullable String message) {
    JsonNode error = parse(body) == null ? null : parse(body).path("error");
    int prompt = error != null && error.path("n_prompt_tokens").canConvertToInt() ? error.path("n_prompt_tokens").asInt() : -1;
    int context = error != null && error.path("n_ctx").canConvertToInt() ? error.path("n_ctx").asInt() : -1;
    if (message != null) {
      Matcher c = CONTEXT.matcher(message);
      if (context < 0 && c.find()) {
        context = parseOrMinus(c.group(1));
      }
      Matcher p = PROMPT.matcher(message);
      if (prompt < 0 && p.find()) {
        prompt = parseOrMinus(p.group(1));
      }
    }
    return new int[] {prompt, context};
  }

  private static int parseOrMinus(String digits) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      return -1; // more digits than an int: not a count worth reporting
    }
  }

  /** Returns whether the error's code or type (quoted) says the context was exceeded. */
  private static boolean isContextType(String quotedType) {
    return quotedType.contains("context_length_exceeded") || quotedType.contains("exceed_context_size");
  }

  /** Returns whether the error's code or type (quoted) says a content filter blocked the request. */
  private static boolean isContentFilter(String quotedType) {
    return quotedType.contains("content_filter") || quotedType.contains("content_policy_violation");
  }

  private static boolean looksLikeContext(String text) {
    String t = text.toLowerCase(Locale.ROOT);
    return t.contains("context") || t.contains("maximum") && t.contains("token") || t.contains("too long");
  }


}
