package io.modelmux.gemini;

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
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Maps what Gemini answers on failure to ModelMux's exceptions, in one place: the Google API
 * error body {@code {"error":{"code":..., "message":..., "status":..., "details":[...]}}} (also
 * wrapped in a JSON array, as the streaming endpoint sends it), its {@code google.rpc.ErrorInfo}
 * reason and {@code google.rpc.RetryInfo} delay, bodies that are not JSON (quoted through
 * {@link MessageText}), and the safety blocks of a successful answer.
 *
 * <p>Messages never contain the API key: authentication failures leave the server's text out,
 * and any other text quoted from the server has the model's secrets blanked in case a proxy
 * echoes them. Thread-safe (immutable).
 */
final class GeminiErrors {

  private final String modelId;
  private final String model;
  private final String where;
  private final String keySource;
  private final Secrets secrets;

  GeminiErrors(String modelId, GeminiSettings settings) {
    this.modelId = modelId;
    this.model = settings.model();
    this.where = settings.baseUrl().toString();
    this.keySource = settings.apiKeySource();
    this.secrets = settings.secrets();
  }

  @Override
  public String toString() {
    return "GeminiErrors{model=" + modelId + '}';
  }

  /**
   * Returns the exception for an HTTP error response.
   *
   * @param status the HTTP status
   * @param body the body's first bytes, possibly empty or not JSON
   * @param retryAfterHeader the {@code Retry-After} header, or null
   */
  ModelMuxException forStatus(int status, BodyHead body, @Nullable String retryAfterHeader) {
    JsonNode error = errorObject(parse(body.bytes()));
    if (error == null) {
      return byHttpStatus(status, body.describe(secrets), retryAfterHeader);
    }
    return forError(error, status, retryAfterHeader);
  }

  /**
   * Returns the exception for a Google API error object ({@code {"code":..., "status":...}}).
   *
   * @param error the value of {@code "error"}
   * @param httpStatus the HTTP status, or -1 to take the error's own {@code code}
   * @param retryAfterHeader the {@code Retry-After} header, or null
   */
  ModelMuxException forError(JsonNode error, int httpStatus, @Nullable String retryAfterHeader) {
    int status = httpStatus > 0 ? httpStatus : error.path("code").asInt(-1);
    String rpc = error.path("status").asText("");
    String reason = errorInfoReason(error);
    String text = error.isTextual() ? error.asText() : error.path("message").asText("");
    String quoted = text.isBlank() ? "no message" : safe(text);
    String head = "HTTP " + (status > 0 ? status : "?") + (rpc.isEmpty() ? "" : " " + word(rpc));
    if (isKeyProblem(rpc, reason, text)) {
      return new AuthenticationException(
          "Gemini at " + where + " rejected the API key of model '" + modelId + "' (" + head
              + (reason.isEmpty() ? "" : ", " + word(reason)) + "); check the key in " + keySource,
          modelId, status, null, null);
    }
    switch (rpc) {
      case "INVALID_ARGUMENT":
      case "FAILED_PRECONDITION":
        return invalid(head, quoted, status);
      case "PERMISSION_DENIED":
      case "UNAUTHENTICATED":
        return denied(head, reason, status);
      case "NOT_FOUND":
        return notFound(head, quoted);
      case "RESOURCE_EXHAUSTED":
        return rateLimited(head, error, quoted, status, retryAfterHeader);
      case "UNAVAILABLE":
      case "INTERNAL":
      case "DEADLINE_EXCEEDED":
        return failed(head, quoted, status, true);
      default:
        return byHttpStatus(status, quoted, retryAfterHeader);
    }
  }

  /**
   * Returns the exception for an error sent inside a stream that began well. Before any text it
   * is mapped like an HTTP error (a typed exception); after some text it is a {@link
   * BackendException} keeping that text in {@link BackendException#partialText()}.
   */
  ModelMuxException inStream(JsonNode error, String partial) {
    if (partial.isEmpty()) {
      return forError(error, -1, null);
    }
    int code = error.path("code").asInt(-1);
    String rpc = error.path("status").asText("");
    String text = error.isTextual() ? error.asText() : error.path("message").asText(error.toString());
    boolean retryable =
        code < 0 || code >= 500 || code == 408 || code == 429
            || List.of("UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED").contains(rpc);
    return new BackendException(
        "Gemini at " + where + " reported an error in the middle of the stream for model '" + modelId + "' ("
            + (rpc.isEmpty() ? "code " + code : word(rpc)) + ": " + safe(text)
            + "); the text received so far is kept in partialText()",
        modelId, retryable, code, "RESOURCE_EXHAUSTED".equals(rpc) ? retryDelay(error) : null, partial, null);
  }

  /** Returns the exception for a body that is not what the protocol promises. */
  BackendException malformed(String what, byte[] body, String partial, @Nullable Throwable cause) {
    return new BackendException(
        "Gemini at " + where + " sent " + what + " for model '" + modelId + "': " + quote(body), modelId, false, -1,
        null, partial, cause);
  }

  /** Returns the exception for {@code promptFeedback.blockReason}: the prompt itself was refused. */
  ContentFilteredException promptBlocked(JsonNode promptFeedback) {
    String reason = promptFeedback.path("blockReason").asText("");
    List<String> flagged = flaggedCategories(promptFeedback.path("safetyRatings"));
    flagged.replaceAll(this::word);
    String detail = promptFeedback.path("blockReasonMessage").asText("");
    return new ContentFilteredException(
        "Gemini blocked the prompt to model '" + modelId + "' (blockReason " + word(reason)
            + (flagged.isEmpty() ? "" : ", rated " + String.join(", ", flagged))
            + (detail.isBlank() ? "" : ": " + safe(detail))
            + "); rephrase the prompt or relax the model's safety settings",
        modelId, null);
  }

  /** Returns the exception for an answer stopped by a safety reason before any text came. */
  ContentFilteredException answerBlocked(String finishReason, JsonNode candidate) {
    List<String> flagged = flaggedCategories(candidate.path("safetyRatings"));
    flagged.replaceAll(this::word);
    String detail = candidate.path("finishMessage").asText("");
    return new ContentFilteredException(
        "Gemini withheld the answer of model '" + modelId + "' (finishReason " + word(finishReason)
            + (flagged.isEmpty() ? "" : ", rated " + String.join(", ", flagged))
            + (detail.isBlank() ? "" : ": " + safe(detail)) + "); rephrase the request",
        modelId, null);
  }

  // ---- the mappings ------------------------------------------------------------------------------

  private ModelMuxException byHttpStatus(int status, String quoted, @Nullable String retryAfterHeader) {
    String head = "HTTP " + status;
    if (status == 401 || status == 403) {
      return denied(head, "", status);
    }
    if (status == 404) {
      return notFound(head, quoted);
    }
    if (status == 429) {
      return rateLimited(head, WireJson.MAPPER.missingNode(), quoted, status, retryAfterHeader);
    }
    if (status == 400 || status == 413 || status == 422) {
      return invalid(head, quoted, status);
    }
    return failed(head, quoted, status, status == 408 || status == 409 || status >= 500 || status < 0);
  }

  private static final Pattern TOKEN_COUNTS =
      Pattern.compile("input token count \\((\\d+)\\) exceeds the maximum number of tokens allowed \\((\\d+)\\)");

  private InvalidRequestException invalid(String head, String quoted, int status) {
    if (looksLikeContext(quoted)) {
      Matcher m = TOKEN_COUNTS.matcher(quoted);
      boolean counted = m.find();
      return new ContextLengthExceededException(
          "Gemini at " + where + " refused the request to model '" + modelId + "' as too long for its context (" + head + ": "
              + quoted + "); shorten the prompt, lower max tokens, or route such requests to a model with a longer context"
              + " (on_context_length)",
          modelId, status, counted ? count(m.group(1)) : -1, counted ? count(m.group(2)) : -1, null);
    }
    return new InvalidRequestException(
        "Gemini at " + where + " refused the request to model '" + modelId + "' (" + head + ": " + quoted + ")"
            + (looksLikeContext(quoted) ? "; shorten the prompt or lower max tokens" : "; fix the request"),
        modelId, status, null, null);
  }

  private AuthenticationException denied(String head, String reason, int status) {
    return new AuthenticationException(
        "Gemini at " + where + " refused access for model '" + modelId + "' (" + head
            + (reason.isEmpty() ? "" : ", " + word(reason)) + "); check that the key in " + keySource
            + " is valid and allowed to call the Generative Language API",
        modelId, status, null, null);
  }

  private UnknownModelException notFound(String head, String quoted) {
    return new UnknownModelException(
        "Gemini at " + where + " does not serve '" + model + "' for model '" + modelId + "' (" + head + ": " + quoted
            + "); check the model's 'model' option against GET " + where + "/v1beta/models",
        model, List.of(), null);
  }

  private RateLimitedException rateLimited(
      String head, JsonNode error, String quoted, int status, @Nullable String retryAfterHeader) {
    Duration wait = retryDelay(error);
    if (wait == null && retryAfterHeader != null) {
      wait = RetryAfter.parse(retryAfterHeader, null);
    }
    String quota = quotaId(error);
    return new RateLimitedException(
        "Gemini at " + where + " rate-limited model '" + modelId + "' (" + head
            + (quota.isEmpty() ? "" : ", quota " + word(quota)) + ": " + quoted + ")"
            + (wait != null ? "; retry after " + wait.toMillis() + " ms" : "; retry later"),
        modelId, status, wait, null);
  }

  private BackendException failed(String head, String quoted, int status, boolean retryable) {
    return new BackendException(
        "Gemini at " + where + " failed the request to model '" + modelId + "' (" + head + ": " + quoted + ")"
            + (retryable ? "; it may succeed if retried" : ""),
        modelId, retryable, status, null, null, null);
  }

  // ---- reading the error body ----------------------------------------------------------------------

  /** Returns the error object of {@code {"error":{...}}} or {@code [{"error":{...}}]}, or null. */
  static @Nullable JsonNode errorObject(@Nullable JsonNode root) {
    if (root == null) {
      return null;
    }
    if (root.isArray()) {
      for (JsonNode element : root) {
        JsonNode error = errorObject(element);
        if (error != null) {
          return error;
        }
      }
      return null;
    }
    JsonNode error = root.path("error");
    return error.isObject() || error.isTextual() ? error : null;
  }

  /** Returns the {@code google.rpc.RetryInfo} detail's {@code retryDelay}, or null. */
  static @Nullable Duration retryDelay(JsonNode error) {
    for (JsonNode detail : error.path("details")) {
      if (detail.path("@type").asText("").endsWith("google.rpc.RetryInfo")) {
        JsonNode delay = detail.path("retryDelay");
        if (delay.isTextual()) {
          return parseDuration(delay.asText());
        }
        if (delay.isObject()) { // {"seconds": "31", "nanos": 500000000}, the proto object form
          long seconds = delay.path("seconds").asLong(0);
          long nanos = delay.path("nanos").asLong(0);
          return seconds < 0 || nanos < 0 ? null : Duration.ofSeconds(seconds, nanos);
        }
      }
    }
    return null;
  }

  /** Parses a protobuf JSON duration such as {@code "31s"} or {@code "0.5s"}; null if it is not one. */
  static @Nullable Duration parseDuration(String text) {
    String t = text.strip();
    if (!t.endsWith("s")) {
      return null;
    }
    try {
      BigDecimal seconds = new BigDecimal(t.substring(0, t.length() - 1));
      if (seconds.signum() < 0) {
        return null;
      }
      return Duration.ofNanos(seconds.movePointRight(9).setScale(0, RoundingMode.CEILING).longValueExact());
    } catch (NumberFormatException | ArithmeticException e) {
      return null; // not a duration; the caller retries later without a hint
    }
  }


  private static String errorInfoReason(JsonNode error) {
    for (JsonNode detail : error.path("details")) {
      if (detail.path("@type").asText("").endsWith("google.rpc.ErrorInfo")) {
        return detail.path("reason").asText("");
      }
    }
    return "";
  }

  private static boolean isKeyProblem(String rpc, String reason, String message) {
    if (reason.startsWith("API_KEY_") && !"PERMISSION_DENIED".equals(rpc)) {
      return true; // API_KEY_INVALID, API_KEY_EXPIRED (400 INVALID_ARGUMENT, not 401)
    }
    String m = message.toLowerCase(Locale.ROOT);
    return "INVALID_ARGUMENT".equals(rpc) && (m.contains("api key not valid") || m.contains("api key expired"));
  }

  private static String quotaId(JsonNode error) {
    for (JsonNode detail : error.path("details")) {
      if (detail.path("@type").asText("").endsWith("google.rpc.QuotaFailure")) {
        JsonNode violation = detail.path("violations").path(0);
        String id = violation.path("quotaId").asText(violation.path("quotaMetric").asText(""));
        if (!id.isEmpty()) {
          return id;
        }
      }
    }
    return "";
  }

  private static List<String> flaggedCategories(JsonNode ratings) {
    List<String> flagged = new ArrayList<>();
    for (JsonNode r : ratings) {
      String probability = r.path("probability").asText("");
      if (r.path("blocked").asBoolean(false) || probability.equals("MEDIUM") || probability.equals("HIGH")) {
        flagged.add(r.path("category").asText("?") + " " + probability);
      }
    }
    return flagged;
  }

  private static int count(String digits) {
    try {
      return Integer.parseInt(digits);
    } catch (NumberFormatException e) {
      return -1; // more digits than an int
    }
  }

  private static boolean looksLikeContext(String text) {
    String t = text.toLowerCase(Locale.ROOT);
    return t.contains("token count") || t.contains("exceeds the maximum") || t.contains("too long");
  }

  static @Nullable JsonNode parse(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    try {
      JsonNode n = WireJson.MAPPER.readTree(body);
      return n != null && (n.isObject() || n.isArray()) ? n : null;
    } catch (IOException e) {
      return null; // not JSON: the caller quotes the bytes instead
    }
  }

  /** Returns a code the server sent (a status, a reason) for a message: bounded, printable, without secrets. */
  private String word(String code) {
    return MessageText.clip(secrets.redact(code));
  }

  /** Returns server text for a message: bounded, printable, without secrets. */
  private String safe(String text) {
    return MessageText.quote(text, secrets);
  }

  /** Describes a body for a message: bounded, printable, without secrets. */
  String quote(byte[] body) {
    return MessageText.body(body, secrets);
  }
}
