package io.modelmux.http.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One Server-Sent Event, as {@link SseEventParser} read it from one block of lines.
 *
 * @param event the {@code event} field, or null if the block had none
 * @param data the {@code data} lines joined with {@code "\n"}, or null if the block had none (a
 *     bare {@code data:} line gives the empty string, not null)
 * @param id the {@code id} field of this block, or null if it had none. Unlike a browser's {@code
 *     lastEventId}, it is not carried over from earlier events
 * @param otherFields every other field (not {@code data}, {@code event}, {@code id} or {@code
 *     retry}) in the order first seen, values of a repeated name joined with {@code "\n"}; for
 *     example older llama.cpp's {@code error: {...}} line, or the lines of a body that is not SSE
 *     at all. Never null; unmodifiable
 */
public record SseEvent(
    @Nullable String event,
    @Nullable String data,
    @Nullable String id,
    Map<String, String> otherFields) {

  private static final String DONE = "[DONE]";

  public SseEvent {
    Objects.requireNonNull(otherFields, "otherFields");
    if (otherFields.isEmpty()) {
      otherFields = Map.of();
    } else {
      LinkedHashMap<String, String> copy = new LinkedHashMap<>(otherFields);
      copy.forEach(
          (name, value) -> {
            Objects.requireNonNull(name, "otherFields name");
            Objects.requireNonNull(value, "otherFields value");
          });
      otherFields = Collections.unmodifiableMap(copy);
    }
  }

  /** Returns whether the event had at least one {@code data} line. */
  public boolean hasData() {
    return data != null;
  }

  /**
   * Returns whether the data is exactly {@code [DONE]}, the OpenAI-style end of stream ({@code
   * data: [DONE]}, the one space after the colon being stripped by the parser).
   */
  public boolean isDone() {
    return DONE.equals(data);
  }
}
