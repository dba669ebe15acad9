package io.modelmux.http.internal;

import io.modelmux.spi.MessageText;
import io.modelmux.spi.ModelSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The options every HTTP adapter shares, read and checked in one place: the timeouts
 * ({@code connect_timeout} 10s, {@code first_byte_timeout} 60s, {@code idle_timeout} 60s,
 * {@code total_timeout} 10m) and {@code max_response_size} (32MiB), plus the checks of what goes
 * into request headers (API keys and configured headers), so that a value that cannot be sent
 * fails when the model is created, naming the option and never the value.
 *
 * @param connectTimeout how long to wait for a connection (and its TLS handshake)
 * @param firstByteTimeout how long to wait for a streamed response to begin
 * @param idleTimeout the longest silence while a body or a stream is read
 * @param totalTimeout the longest a whole exchange may take, headers and body
 * @param maxResponseBytes the largest body read whole, and the largest streamed event
 */
public record HttpOptions(
    Duration connectTimeout, Duration firstByteTimeout, Duration idleTimeout, Duration totalTimeout, long maxResponseBytes) {

  /** The option keys read here; each adapter's factory lists them among its own. */
  public static final Set<String> KEYS =
      Set.of("connect_timeout", "first_byte_timeout", "idle_timeout", "total_timeout", "max_response_size");

  /** The default {@code max_response_size}: 32 MiB. */
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 32L << 20;

  /** The largest {@code max_response_size}: a body is read into one array. */
  public static final long MAX_RESPONSE_BYTES_LIMIT = 1L << 30;

  /** Headers that the HTTP client sets itself: configuring them is an error, not a silent no-op. */
  private static final Set<String> CLIENT_HEADERS = Set.of("connection", "content-length", "expect", "host", "upgrade", "transfer-encoding", "te");

  /** Reads the shared options of {@code spec}. */
  public static HttpOptions from(ModelSpec spec) {
    long max = spec.optionBytes("max_response_size").orElse(DEFAULT_MAX_RESPONSE_BYTES);
    if (max < 1024 || max > MAX_RESPONSE_BYTES_LIMIT) {
      throw spec.optionError("max_response_size", "must be between 1KiB and 1GiB, got " + max + " bytes");
    }
    return new HttpOptions(
        positive(spec, "connect_timeout", Duration.ofSeconds(10)),
        positive(spec, "first_byte_timeout", Duration.ofSeconds(60)),
        positive(spec, "idle_timeout", Duration.ofSeconds(60)),
        positive(spec, "total_timeout", Duration.ofMinutes(10)),
        max);
  }

  private static Duration positive(ModelSpec spec, String key, Duration fallback) {
    Duration d = spec.optionDuration(key).orElse(fallback);
    if (d.isNegative() || d.isZero()) {
      throw spec.optionError(key, "must be positive, got " + d);
    }
    return d;
  }

  /**
   * Returns the HTTP version to ask for at {@code uri} when the configuration names none: HTTP/2
   * on {@code https} (negotiated by ALPN, falling back to HTTP/1.1 when the server does not offer
   * it), HTTP/1.1 on cleartext {@code http}, where asking for HTTP/2 would send an {@code
   * Upgrade: h2c} header that many servers reject.
   */
  public static HttpClient.Version defaultVersion(URI uri) {
    return "https".equalsIgnoreCase(uri.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1;
  }

  /**
   * Parses a base URL given in option {@code key}, without trailing slashes. The URL is never
   * quoted: it may hold credentials, and a URL with credentials, a query or a fragment is refused
   * before anything else is said about it.
   *
   * @param example a URL to show in the error, such as {@code http://localhost:8000/v1}
   * @throws io.modelmux.ConfigException if it is not an http or https URL with a host
   */
  public static URI baseUrl(ModelSpec spec, String key, String url, String example) {
    String u = url.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    URI uri;
    try {
      uri = new URI(u);
    } catch (URISyntaxException e) {
      throw spec.optionError(key, "is not a URL (" + e.getReason() + " at index " + e.getIndex() + "); the value is not shown");
    }
    if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw spec.optionError(
          key,
          "must be a plain URL such as " + example + ", without credentials, query or fragment (the key goes in"
              + " api_key or api_key_env); the value is not shown");
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw spec.optionError(
          key,
          "must be an http or https URL with a host, such as " + example + ", got "
              + (uri.getScheme() == null ? "no scheme" : "scheme " + MessageText.quote(uri.getScheme()))
              + (uri.getHost() == null ? " and no host" : ""));
    }
    return uri;
  }

  /**
   * An API key and where it was read ("option api_key", "environment variable X"), for messages.
   * {@link #toString()} never shows the key.
   *
   * @param value the key, stripped and checked by {@link #credential}
   * @param source where it was read
   */
  public record ApiKey(String value, String source) {
    @Override
    public String toString() {
      return "ApiKey{from " + source + '}';
    }
  }

  /**
   * Returns the key given by option {@code api_key} (a blank one counts as not given) or, failing
   * that, read from the environment variable that option {@code api_key_env} names; empty when
   * neither option is given.
   *
   * @throws io.modelmux.ConfigException if {@code api_key_env} names a variable that is not set,
   *     or the key cannot be sent in a header (never showing the key)
   */
  public static Optional<ApiKey> apiKey(ModelSpec spec, Function<String, @Nullable String> environment) {
    String given = spec.optionString("api_key").filter(k -> !k.isBlank()).orElse(null);
    if (given != null) {
      return Optional.of(new ApiKey(credential(spec, "api_key", "option api_key", given), "option api_key"));
    }
    if (spec.optionString("api_key_env").isEmpty()) {
      return Optional.empty();
    }
    String var = spec.optionString("api_key_env").get().strip();
    String value = environment.apply(var);
    if (value == null || value.isBlank()) {
      throw spec.optionError("api_key_env", "names " + MessageText.clip(var) + ", which is not set; set it or remove api_key_env");
    }
    String source = "environment variable " + var;
    return Optional.of(new ApiKey(credential(spec, "api_key_env", source, value), source));
  }

  /**
   * Returns an API key read from option {@code option} (or from the environment variable that
   * option names), stripped of surrounding whitespace, after checking that every character can
   * be sent in a header: printable ASCII without spaces.
   *
   * @param spec the model, for the error
   * @param option the option the key came from ({@code api_key} or {@code api_key_env})
   * @param where where the key was read, for the error, such as "environment variable X"
   * @param key the key as read
   * @throws io.modelmux.ConfigException naming the option and the offending character's kind and
   *     position, never the key
   */
  public static String credential(ModelSpec spec, String option, String where, String key) {
    String k = key.strip();
    for (int i = 0; i < k.length(); i++) {
      char c = k.charAt(i);
      if (c <= 0x20 || c >= 0x7F) {
        throw spec.optionError(
            option,
            "gives a key (read from " + where + ") with " + kind(c) + " at position " + (i + 1) + " of " + k.length()
                + ", which cannot be sent in an HTTP header; the key is not shown: copy it again without that character");
      }
    }
    return k;
  }

  /**
   * Returns the headers of option {@code option}, values stripped, after checking each name and
   * value with the HTTP client's own rules and refusing the headers the client sets itself.
   *
   * @throws io.modelmux.ConfigException naming the option and the header, never its value
   */
  public static Map<String, String> headers(ModelSpec spec, String option) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : spec.optionStringMap(option).entrySet()) {
      String name = e.getKey().strip();
      String value = e.getValue().strip();
      String quoted = MessageText.quote(name);
      if (CLIENT_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw spec.optionError(option, "sets header " + quoted + ", which the HTTP client sets itself; remove it");
      }
      for (String earlier : out.keySet()) {
        if (earlier.equalsIgnoreCase(name)) {
          throw spec.optionError(option, "sets header " + quoted + " twice (header names ignore case); keep one");
        }
      }
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c < 0x20 && c != '\t' || c == 0x7F) {
          throw spec.optionError(
              option,
              "gives header " + quoted + " a value with " + kind(c) + " at position " + (i + 1)
                  + ", which cannot be sent; the value is not shown");
        }
      }
      try {
        HttpRequest.newBuilder(URI.create("http://localhost/")).header(name, value);
      } catch (IllegalArgumentException ex) {
        throw spec.optionError(
            option, "gives header " + quoted + " a name or value that cannot be sent in HTTP; the value is not shown");
      }
      out.put(name, value);
    }
    return Collections.unmodifiableMap(out);
  }

  private static String kind(char c) {
    if (c == '\n' || c == '\r') {
      return "a line break";
    }
    if (c == ' ' || c == '\t') {
      return "a space";
    }
    if (c < 0x20 || c == 0x7F) {
      return "a control character (U+" + String.format("%04X", (int) c) + ")";
    }
    return "a character outside ASCII (U+" + String.format("%04X", (int) c) + ")";
  }
}
