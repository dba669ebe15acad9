package io.modelmux.spi;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Text from outside ModelMux (a backend's body, a configured value, a name in a request) made
 * fit to stand in an exception message: at most {@value #LIMIT} characters with how much was cut,
 * control and invisible formatting characters escaped (so that a backend cannot write terminal
 * control sequences to the user's screen, nor break a one-line error into several), and, for
 * bodies, anything that is not text described instead of printed. Secrets are blanked first,
 * so that no part of one survives at a cut.
 *
 * <p>Every message that quotes outside text goes through this class: config errors, HTTP error
 * bodies, exception messages from the JDK. Stateless and thread-safe.
 */
public final class MessageText {
  /** The most characters of outside text a message shows. */
  public static final int LIMIT = 200;

  /** How much of a body is decoded and searched for secrets before it is cut. */
  private static final int BODY_WINDOW = 64 * 1024;

  private MessageText() {}

  /**
   * Returns {@code text} in single quotes, cut to {@value #LIMIT} characters and escaped:
   * {@code 'abc'}, or {@code 'abc…' (cut: 1,048,376 more characters)}.
   *
   * @param text the text; not null
   * @return the quoted text
   */
  public static String quote(CharSequence text) {
    return quote(text, Secrets.none());
  }

  /**
   * Returns {@code text} with {@code secrets} blanked, in single quotes, cut to {@value #LIMIT}
   * characters and escaped.
   *
   * @param text the text; not null
   * @param secrets the values to blank; not null
   * @return the quoted text
   */
  public static String quote(CharSequence text, Secrets secrets) {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(secrets, "secrets");
    String t = secrets.redact(text);
    StringBuilder sb = new StringBuilder(Math.min(t.length(), LIMIT) + 40).append('\'');
    int shown = append(sb, t, LIMIT);
    if (shown < t.length()) {
      return sb.append("…' (cut: ").append(count(t.length() - shown)).append(" more characters)").toString();
    }
    return sb.append('\'').toString();
  }

  /**
   * Returns {@code text} cut to {@value #LIMIT} characters and escaped, without quotes: for a
   * value that stands on its own in a message, such as a key path.
   *
   * @param text the text; not null
   * @return the text, or its start followed by {@code … (cut: N more characters)}
   */
  public static String clip(CharSequence text) {
    Objects.requireNonNull(text, "text");
    StringBuilder sb = new StringBuilder(Math.min(text.length(), LIMIT) + 40);
    int shown = append(sb, text, LIMIT);
    if (shown < text.length()) {
      sb.append("… (cut: ").append(count(text.length() - shown)).append(" more characters)");
    }
    return sb.toString();
  }

  /**
   * Returns {@code text} with every control, invisible formatting and unpaired surrogate
   * character escaped ({@code \n}, {@code \r}, {@code \t}, else {@code \}{@code uXXXX}), however
   * long: for a whole message that must stay on one line, such as the command line's error line.
   *
   * @param text the text; not null
   * @return the escaped text ({@code text} itself when nothing needed escaping)
   */
  public static String escape(CharSequence text) {
    Objects.requireNonNull(text, "text");
    int i = 0;
    while (i < text.length() && !needsEscape(text, i)) {
      i++;
    }
    if (i == text.length()) {
      return text.toString();
    }
    StringBuilder sb = new StringBuilder(text.length() + 16);
    append(sb, text, Integer.MAX_VALUE);
    return sb.toString();
  }

  /**
   * Describes a body for a message: its text quoted as by {@link #quote(CharSequence, Secrets)}
   * when it is UTF-8 text, else what it is and its size, such as {@code a gzip-compressed body
   * of 1,234 bytes (not shown)} or {@code a binary body of 56 bytes (not shown)}; {@code an empty
   * body} when empty.
   *
   * @param body the whole body; not null
   * @param secrets the values to blank; not null
   * @return the description
   */
  public static String body(byte[] body, Secrets secrets) {
    return body(body, body.length, secrets);
  }

  /**
   * Describes a body of which only the first bytes were read, as {@link #body(byte[], Secrets)}
   * does, saying how long the whole body is.
   *
   * @param head the first bytes of the body; not null
   * @param length the whole body's length in bytes (at least {@code head.length}), or -1 when it
   *     is longer than {@code head} by an unknown amount
   * @param secrets the values to blank; not null
   * @return the description
   */
  public static String body(byte[] head, long length, Secrets secrets) {
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(secrets, "secrets");
    if (length >= 0 && length < head.length) {
      throw new IllegalArgumentException("length " + length + " is less than the " + head.length + " bytes given");
    }
    String size = length < 0 ? "more than " + count(head.length) : count(length);
    if (head.length == 0) {
      return length == 0 ? "an empty body" : "a body of " + size + " bytes, none read";
    }
    String kind = binaryKind(head);
    if (kind != null) {
      return "a " + kind + " body of " + size + " bytes (not shown)";
    }
    int window = Math.min(head.length, BODY_WINDOW);
    String text = secrets.redact(decode(head, window));
    StringBuilder sb = new StringBuilder(LIMIT + 40).append('\'');
    int shown = append(sb, text, LIMIT);
    boolean moreBytes = window < head.length || length != head.length;
    if (moreBytes) {
      return sb.append("…' (cut: the body has ").append(size).append(" bytes)").toString();
    }
    return shown == text.length()
        ? sb.append('\'').toString()
        : sb.append("…' (cut: ").append(count(text.length() - shown)).append(" more characters)").toString();
  }

  /** Appends up to {@code limit} characters of output for {@code text}; returns the input characters used. */
  private static int append(StringBuilder sb, CharSequence text, int limit) {
    int used = 0;
    int written = 0;
    while (used < text.length()) {
      char c = text.charAt(used);
      String escaped = null;
      int width = 1;
      if (Character.isHighSurrogate(c) && used + 1 < text.length() && Character.isLowSurrogate(text.charAt(used + 1))) {
        width = 2;
        int cp = Character.toCodePoint(c, text.charAt(used + 1));
        if (isInvisible(cp)) {
          escaped = String.format("\\u{%X}", cp);
        }
      } else if (needsEscape(text, used)) {
        escaped = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : String.format("\\u%04x", (int) c);
      }
      int cost = escaped == null ? width : escaped.length();
      if (written + cost > limit) {
        break;
      }
      if (escaped == null) {
        sb.append(text, used, used + width);
      } else {
        sb.append(escaped);
      }
      written += cost;
      used += width;
    }
    return used;
  }

  private static boolean needsEscape(CharSequence text, int i) {
    char c = text.charAt(i);
    if (Character.isHighSurrogate(c)) {
      if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        return isInvisible(Character.toCodePoint(c, text.charAt(i + 1)));
      }
      return true;
    }
    if (Character.isLowSurrogate(c)) {
      return i == 0 || !Character.isHighSurrogate(text.charAt(i - 1));
    }
    return isInvisible(c);
  }

  /**
   * Control characters (C0, DEL, C1), line and paragraph separators, and formatting characters
   * such as bidirectional overrides and zero-width spaces: what could move the cursor, hide
   * text or reorder it on a terminal.
   */
  private static boolean isInvisible(int cp) {
    int type = Character.getType(cp);
    return type == Character.CONTROL
        || type == Character.FORMAT
        || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR;
  }

  /** Returns what kind of non-text the bytes are, or null when they read as UTF-8 text. */
  private static String binaryKind(byte[] b) {
    if (b.length >= 2 && (b[0] & 0xFF) == 0x1F && (b[1] & 0xFF) == 0x8B) {
      return "gzip-compressed";
    }
    if (b.length >= 4 && (b[0] & 0xFF) == 0x28 && (b[1] & 0xFF) == 0xB5 && (b[2] & 0xFF) == 0x2F && (b[3] & 0xFF) == 0xFD) {
      return "zstd-compressed";
    }
    int window = Math.min(b.length, BODY_WINDOW);
    int controls = 0;
    for (int i = 0; i < window; i++) {
      int v = b[i] & 0xFF;
      if (v == 0) {
        return "binary";
      }
      if (v < 0x20 && v != '\n' && v != '\r' && v != '\t' && v != 0x1B) {
        controls++;
      }
    }
    if (controls * 10 > window) {
      return "binary";
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(b, 0, window);
    CharBuffer out = CharBuffer.allocate(window);
    CoderResult result = decoder.decode(in, out, true);
    if (result.isError()) {
      // a UTF-8 sequence cut at the window's end is still text
      boolean cutAtEnd = window < b.length && result.isMalformed() && in.remaining() < 4;
      return cutAtEnd ? null : "binary";
    }
    return null;
  }

  private static String count(long n) {
    return String.format(java.util.Locale.ROOT, "%,d", n);
  }

  private static String decode(byte[] b, int length) {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    try {
      return decoder.decode(ByteBuffer.wrap(b, 0, length)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalStateException("a replacing decoder does not fail", e);
    }
  }
}
