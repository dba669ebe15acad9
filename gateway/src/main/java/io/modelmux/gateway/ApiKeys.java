package io.modelmux.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The API keys a gateway accepts, held only as SHA-256 digests and compared in constant time, so
 * that neither a heap dump, a {@code toString()} nor the time an answer takes gives a key away.
 */
final class ApiKeys {
  enum Verdict {
    ACCEPTED,
    MISSING,
    WRONG
  }

  private final List<byte[]> digests;

  ApiKeys(Collection<String> keys) {
    List<byte[]> d = new ArrayList<>(keys.size());
    for (String k : keys) {
      d.add(digest(k));
    }
    this.digests = List.copyOf(d);
  }

  boolean isEmpty() {
    return digests.isEmpty();
  }

  int size() {
    return digests.size();
  }

  /** Checks an {@code Authorization} header's value. */
  Verdict check(@Nullable String authorization) {
    if (authorization == null || authorization.isBlank()) {
      return Verdict.MISSING;
    }
    String value = authorization.trim();
    if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Verdict.MISSING;
    }
    byte[] given = digest(value.substring(7).trim());
    boolean match = false;
    for (byte[] d : digests) {
      match |= MessageDigest.isEqual(d, given); // every key compared: no early exit to time
    }
    return match ? Verdict.ACCEPTED : Verdict.WRONG;
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  @Override
  public String toString() {
    return "ApiKeys[" + digests.size() + " keys]";
  }
}
