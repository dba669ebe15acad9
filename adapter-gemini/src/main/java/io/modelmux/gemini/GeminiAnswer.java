package io.modelmux.gemini;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.modelmux.FinishReason;
import io.modelmux.Usage;
import io.modelmux.spi.Completion;
import org.jspecify.annotations.Nullable;

/**
 * One answer being put together from {@code GenerateContentResponse}s: the single response of
 * {@code generateContent}, or the chunks of a stream. Text is appended chunk by chunk; the finish
 * reason, usage (a running total in a stream) and model version are the last ones seen, since
 * older models repeat the finish reason on every chunk. Only candidate 0 is read. Not
 * thread-safe: one per request.
 */
final class GeminiAnswer {
  private final GeminiErrors errors;
  private final StringBuilder text = new StringBuilder();
  private @Nullable String finishReason;
  private JsonNode lastCandidate = MissingNode.getInstance();
  private @Nullable Usage usage;
  private @Nullable String backendModel;
  private boolean sawCandidate;
  private int responses;

  GeminiAnswer(GeminiErrors errors) {
    this.errors = errors;
  }

  /**
   * Adds one response object and returns the text it adds (empty if none).
   *
   * @throws io.modelmux.ModelMuxException for an {@code error} in the response, and {@link
   *     io.modelmux.ContentFilteredException} for a blocked prompt
   */
  String add(JsonNode response) {
    JsonNode error = GeminiErrors.errorObject(response);
    if (error != null) {
      throw errors.inStream(error, text.toString());
    }
    if (!response.isObject()) {
      return ""; // a stray value in a stream; nothing to read in it
    }
    responses++;
    JsonNode version = response.path("modelVersion");
    if (version.isTextual() && !version.asText().isBlank()) {
      backendModel = version.asText();
    }
    Usage u = GeminiWireFormat.usage(response.path("usageMetadata"));
    if (u != null) {
      usage = u;
    }
    JsonNode candidate = response.path("candidates").path(0);
    if (!candidate.isObject()) {
      JsonNode feedback = response.path("promptFeedback");
      if (feedback.path("blockReason").isTextual()) {
        throw errors.promptBlocked(feedback);
      }
      return "";
    }
    sawCandidate = true;
    lastCandidate = candidate;
    JsonNode reason = candidate.path("finishReason");
    if (reason.isTextual() && GeminiWireFormat.finishReason(reason.asText()) != null) {
      finishReason = reason.asText();
    }
    String added = GeminiWireFormat.text(candidate);
    text.append(added);
    return added;
  }

  String text() {
    return text.toString();
  }

  /** Returns the text so far without copying it; valid until the next {@link #add}. */
  CharSequence textSoFar() {
    return text;
  }

  /** Returns whether a response had a candidate. */
  boolean sawCandidate() {
    return sawCandidate;
  }

  /** Returns how many response objects were added. */
  int responses() {
    return responses;
  }

  /** Returns whether a finish reason came, which in a stream marks its real end. */
  boolean hasFinishReason() {
    return finishReason != null;
  }

  /** Returns the text so far as a completion ending with {@code reason} (for cancellation). */
  Completion completion(FinishReason reason) {
    return Completion.builder().text(text.toString()).finishReason(reason).usage(usage).backendModel(backendModel).build();
  }

  /**
   * Returns the finished answer. A safety stop (finish reason {@code CONTENT_FILTER}) after some
   * text returns that text with the finish reason; before any text it is a {@link
   * io.modelmux.ContentFilteredException}. No finish reason at all counts as {@code STOP}.
   */
  Completion complete() {
    FinishReason reason = GeminiWireFormat.finishReason(finishReason);
    if (reason == FinishReason.CONTENT_FILTER && text.length() == 0) {
      throw errors.answerBlocked(finishReason, lastCandidate);
    }
    return completion(reason == null ? FinishReason.STOP : reason);
  }
}
