package io.modelmux.http.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.Secrets;
import java.io.IOException;

/**
 * The one Jackson mapper of the HTTP adapters. Jackson's default read limits (a string of at most
 * 20 million characters, for one) are lifted: how much a backend may send is bounded by the
 * model's {@code max_response_size} before a body reaches the parser, so a valid answer under
 * that size parses whatever its string lengths. The nesting depth keeps Jackson's default, which
 * no real answer approaches.
 */
public final class WireJson {
  /** Thread-safe once built, as Jackson's mappers are. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper(
          JsonFactory.builder()
              .streamReadConstraints(
                  StreamReadConstraints.builder()
                      .maxStringLength(Integer.MAX_VALUE)
                      .build())
              .build());

  private WireJson() {}

  /**
   * Returns {@code value} parsed when it is a JSON object or string, else {@code value} as a
   * text node: for an error a backend writes in a stream's {@code error:} field, which may be
   * JSON or plain words.
   *
   * @param value the field's value
   * @return the object, or the value as text
   */
  public static JsonNode parseOrText(String value) {
    try {
      JsonNode n = MAPPER.readTree(value);
      return n != null && (n.isObject() || n.isTextual()) ? n : MAPPER.getNodeFactory().textNode(value);
    } catch (IOException e) {
      return MAPPER.getNodeFactory().textNode(value); // an error in plain words
    }
  }

  /**
   * Says in a few words why a body did not parse as JSON: its syntax and where, or one of the
   * parser's limits (which a valid answer under {@code max_response_size} does not reach). The
   * parser quotes the token it stopped at, which a hostile backend can make an echo of the key:
   * {@code secrets} are blanked from it.
   *
   * @param e what Jackson threw
   * @param secrets the values never to show
   * @return the reason, bounded and printable
   */
  public static String problem(IOException e, Secrets secrets) {
    if (e instanceof StreamConstraintsException) {
      return "it passes a limit of the JSON parser: "
          + MessageText.quote(String.valueOf(((JsonProcessingException) e).getOriginalMessage()), secrets);
    }
    if (e instanceof JsonProcessingException) {
      JsonProcessingException j = (JsonProcessingException) e;
      String what = secrets.redact(String.valueOf(j.getOriginalMessage()));
      int colon = what.indexOf(": ");
      return MessageText.clip(colon > 0 ? what.substring(0, colon) : what)
          + (j.getLocation() == null || j.getLocation().getByteOffset() < 0 ? "" : " at byte " + j.getLocation().getByteOffset());
    }
    return MessageText.quote(e.toString(), secrets);
  }
}
