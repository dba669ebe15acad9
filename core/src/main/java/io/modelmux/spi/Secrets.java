package io.modelmux.spi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The secret values of one model (API keys, the values of configured HTTP headers, a key read
 * from an environment variable) and the one place that blanks them out of text: every message,
 * log line and {@code toString()} that could quote outside text passes it through
 * {@link #redact} (directly, or through {@link MessageText}), and exceptions from libraries
 * through {@link #scrub}.
 *
 * <p>Values are stripped of surrounding whitespace. Values shorter than
 * {@value #MIN_LENGTH} characters are not kept: they are not credentials, and blanking them
 * would mangle every message. Immutable and thread-safe.
 */
public final class Secrets {
  /** What a secret is replaced with. */
  public static final String MASK = "(secret hidden)";

  /** The shortest value kept as a secret. */
  public static final int MIN_LENGTH = 4;

  private static final Secrets NONE = new Secrets(List.of());

  /** Longest first, so that a secret containing another is blanked whole. */
  private final List<String> values;

  private Secrets(List<String> values) {
    this.values = values;
  }

  /** Returns the empty set: {@link #redact} changes nothing. */
  public static Secrets none() {
    return NONE;
  }

  /**
   * Returns the secrets {@code values}; nulls, blanks and values shorter than {@value
   * #MIN_LENGTH} characters are left out.
   *
   * @param values the values; not null
   * @return the secrets
   */
  public static Secrets of(Collection<String> values) {
    Objects.requireNonNull(values, "values");
    return NONE.and(values);
  }

  /**
   * Returns these secrets and {@code value} (left out when null, blank or short).
   *
   * @param value the value, or null
   * @return the secrets
   */
  public Secrets and(@Nullable String value) {
    return value == null ? this : and(List.of(value));
  }

  /**
   * Returns these secrets and {@code more}.
   *
   * @param more other secrets; not null
   * @return the secrets
   */
  public Secrets and(Secrets more) {
    Objects.requireNonNull(more, "more");
    return more.values.isEmpty() ? this : and(more.values);
  }

  private Secrets and(Collection<String> more) {
    Set<String> all = new LinkedHashSet<>(values);
    for (String v : more) {
      if (v != null && v.strip().length() >= MIN_LENGTH) {
        all.add(v.strip());
      }
    }
    if (all.size() == values.size()) {
      return this;
    }
    List<String> sorted = new ArrayList<>(all);
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    return new Secrets(List.copyOf(sorted));
  }

  /** Returns whether there are no secrets. */
  public boolean isEmpty() {
    return values.isEmpty();
  }

  /**
   * Returns {@code text} with every occurrence of every secret replaced by {@value #MASK}.
   *
   * @param text the text; not null
   * @return the text without secrets
   */
  public String redact(CharSequence text) {
    Objects.requireNonNull(text, "text");
    String s = text.toString();
    for (String v : values) {
      if (s.contains(v)) {
        s = s.replace(v, MASK);
      }
    }
    return s;
  }

  /**
   * Returns whether {@code text} holds a secret.
   *
   * @param text the text, or null
   * @return whether a secret appears in it
   */
  public boolean appearIn(@Nullable CharSequence text) {
    if (text == null || values.isEmpty()) {
      return false;
    }
    String s = text.toString();
    for (String v : values) {
      if (s.contains(v)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns {@code error} itself when no message in its chain of causes (nor its suppressed
   * exceptions) holds a secret; otherwise a copy of the chain in which every message is
   * redacted. The copies keep the original class's name in their message and the original
   * stack traces, so that nothing is lost for debugging but the secret.
   *
   * @param error the exception, typically from a library; not null
   * @return an exception safe to keep as a cause
   */
  public Throwable scrub(Throwable error) {
    Objects.requireNonNull(error, "error");
    if (!holdsSecret(error, 0)) {
      return error;
    }
    return copy(error, 0);
  }

  private boolean holdsSecret(@Nullable Throwable t, int depth) {
    if (t == null || depth > 20) {
      return false;
    }
    if (appearIn(t.getMessage()) || appearIn(t.toString())) {
      return true;
    }
    for (Throwable s : t.getSuppressed()) {
      if (holdsSecret(s, depth + 1)) {
        return true;
      }
    }
    return t.getCause() != t && holdsSecret(t.getCause(), depth + 1);
  }

  private Throwable copy(Throwable t, int depth) {
    Throwable cause = t.getCause() == null || t.getCause() == t || depth > 20 ? null : copy(t.getCause(), depth + 1);
    RedactedException copy = new RedactedException(t.getClass().getName() + ": " + redact(String.valueOf(t.getMessage())), cause);
    copy.setStackTrace(t.getStackTrace());
    for (Throwable s : t.getSuppressed()) {
      copy.addSuppressed(depth > 20 ? new RedactedException(s.getClass().getName(), null) : copy(s, depth + 1));
    }
    return copy;
  }

  /** Says how many secrets there are, never what they are. */
  @Override
  public String toString() {
    return "Secrets[" + values.size() + " hidden]";
  }

  /** An exception from a library whose message held a secret, redacted; its message starts with the original class. */
  private static final class RedactedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RedactedException(String message, @Nullable Throwable cause) {
      super(message, cause);
    }
  }
}
