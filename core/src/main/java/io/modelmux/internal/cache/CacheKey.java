package io.modelmux.internal.cache;

import io.modelmux.ChatMessage;
import io.modelmux.GenerateOptions;
import io.modelmux.GenerateRequest;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A request in the form that decides its answer, after resolution: the registration that would
 * serve it (its number in the manager, which a re-registration under the same {@code
 * id@version}, with other options, changes; the model's id and version with it), the prompt or
 * the chat messages (role and text of each, in order), and every option that can change the
 * answer (max tokens, temperature, top-p, top-k, stop sequences, seed). Two keys are equal only
 * when all of these are: no two different requests share an entry. What cannot change the
 * answer is left out: the deadline, the routing key (routing is already resolved), the name the
 * request used (alias, route or id). The model's own options (a backend's URL, its sampling
 * defaults) belong to the registration. Immutable; the hash is computed once.
 */
public final class CacheKey {
  private final long registration;
  private final @Nullable String prompt;
  private final List<ChatMessage> messages;
  private final GenerateOptions options;
  private final int hash;

  CacheKey(long registration, GenerateRequest request) {
    this.registration = registration;
    this.prompt = request.prompt().orElse(null);
    this.messages = request.messages();
    this.options = request.options();
    int h = Long.hashCode(registration);
    h = 31 * h + (prompt == null ? messages.hashCode() : prompt.hashCode());
    h = 31 * h + options.hashCode();
    this.hash = h;
  }

  /** Returns the registration the key belongs to. */
  long registration() {
    return registration;
  }

  /** Returns the characters of the request's text: the prompt, or the messages' contents. */
  long chars() {
    if (prompt != null) {
      return prompt.length();
    }
    long n = 0;
    for (ChatMessage m : messages) {
      n += m.content().length() + 8;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof CacheKey)) {
      return false;
    }
    CacheKey k = (CacheKey) o;
    return hash == k.hash
        && registration == k.registration
        && Objects.equals(prompt, k.prompt)
        && messages.equals(k.messages)
        && options.equals(k.options);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** Returns a summary without the request's text. */
  @Override
  public String toString() {
    return "CacheKey{registration=" + registration + ", chars=" + chars() + ", options=" + options + '}';
  }
}
