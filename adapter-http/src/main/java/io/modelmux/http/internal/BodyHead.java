package io.modelmux.http.internal;

import io.modelmux.spi.MessageText;
import io.modelmux.spi.Secrets;

/**
 * The first bytes of a body that was not read whole (an error body), and how long the whole body
 * is, for a message that describes it truthfully.
 *
 * @param bytes the bytes read, decoded when the body was compressed
 * @param length the whole body's length, or -1 when it is longer than {@code bytes} by an unknown
 *     amount
 */
public record BodyHead(byte[] bytes, long length) {
  /** Returns the head of a body read whole. */
  public static BodyHead of(byte[] whole) {
    return new BodyHead(whole, whole.length);
  }

  /** Describes the body for a message, through {@link MessageText#body(byte[], long, Secrets)}. */
  public String describe(Secrets secrets) {
    return MessageText.body(bytes, length, secrets);
  }
}
