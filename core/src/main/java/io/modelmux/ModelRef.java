package io.modelmux;

import io.modelmux.spi.MessageText;
import java.util.Objects;

/**
 * One registered model: its id and its version. Written {@code id@version}.
 *
 * @param id the model id; not blank, no {@code @}
 * @param version the version; not blank, no {@code @}
 */
public record ModelRef(String id, String version) {
  /** Checks the arguments. */
  public ModelRef {
    checkPart(id, "id");
    checkPart(version, "version");
  }

  /**
   * Parses {@code id@version}.
   *
   * @param text the reference; not null
   * @return the reference
   * @throws IllegalArgumentException if {@code text} is not {@code id@version}
   */
  public static ModelRef parse(String text) {
    Objects.requireNonNull(text, "text");
    int at = text.indexOf('@');
    if (at <= 0 || at == text.length() - 1) {
      throw new IllegalArgumentException("model reference must be id@version, got " + MessageText.quote(text));
    }
    return new ModelRef(text.substring(0, at), text.substring(at + 1));
  }

  /** Returns {@code id@version}. */
  @Override
  public String toString() {
    return id + "@" + version;
  }

  /** The longest id or version: names stand in every message, log line and metric tag. */
  public static final int MAX_LENGTH = 256;

  static void checkPart(String value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isBlank()) {
      throw new IllegalArgumentException("model " + name + " must not be blank");
    }
    if (value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "model " + name + " must be at most " + MAX_LENGTH + " characters, got " + value.length() + ": "
              + MessageText.quote(value));
    }
    if (value.indexOf('@') >= 0) {
      throw new IllegalArgumentException(
          "model " + name + " must not contain '@' (it separates id and version): " + MessageText.quote(value));
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      int type = Character.getType(c);
      if (type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
          || type == Character.PARAGRAPH_SEPARATOR) {
        throw new IllegalArgumentException(
            "model " + name + " must not contain control or invisible characters (U+"
                + String.format("%04X", (int) c) + " at position " + (i + 1) + "): " + MessageText.quote(value));
      }
    }
    if (!value.strip().equals(value)) {
      throw new IllegalArgumentException(
          "model " + name + " must not start or end with whitespace: " + MessageText.quote(value));
    }
  }
}
