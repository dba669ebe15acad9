package io.modelmux.gemini;

import io.modelmux.spi.ModelSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A {@code type: gemini} model's options, checked when the adapter is created. {@link #toString()}
 * leaves the key out.
 *
 * @param baseUrl the API root, such as {@code https://generativelanguage.googleapis.com}, without a
 *     trailing slash; the adapter appends {@code /v1beta/models/...}
 * @param model the Gemini model name, such as {@code gemini-2.0-flash} (no {@code models/} prefix)
 * @param apiKey the key sent in {@code x-goog-api-key}
 * @param apiKeySource where the key came from, for messages (never the key)
 * @param connectTimeout how long to wait for a connection
 * @param firstByteTimeout how long to wait for a stream to begin
 * @param idleTimeout the longest silence between stream chunks
 * @param totalTimeout the longest a whole request may take
 */
record GeminiSettings(
    URI baseUrl,
    String model,
    String apiKey,
    String apiKeySource,
    Duration connectTimeout,
    Duration firstByteTimeout,
    Duration idleTimeout,
    Duration totalTimeout) {

  static final String DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";

  /** The variables read, in order, when neither {@code api_key} nor {@code api_key_env} is given. */
  static final String[] DEFAULT_KEY_VARIABLES = {"GEMINI_API_KEY", "GOOGLE_API_KEY"};

  static final Set<String> KEYS =
      Set.of(
          "model", "api_key", "api_key_env", "base_url",
          "connect_timeout", "first_byte_timeout", "idle_timeout", "total_timeout");

  /** Gemini model names as they appear in a URL path segment (before the {@code :method}). */
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

  /** Parses the spec, reading environment variables through {@code environment}. */
  static GeminiSettings from(ModelSpec spec, Function<String, @Nullable String> environment) {
    String model = spec.optionString("model").map(String::strip).orElse(spec.id());
    if (model.startsWith("models/")) {
      model = model.substring("models/".length()); // the API's own resource name form
    }
    if (!MODEL_NAME.matcher(model).matches()) {
      throw spec.optionError(
          "model",
          "must be a Gemini model name such as gemini-2.0-flash, got '" + model + "'"
              + (spec.optionString("model").isEmpty() ? " (taken from the model's id; set 'model')" : ""));
    }
    URI baseUrl = parseBaseUrl(spec);
    Key key = apiKey(spec, environment);
    return new GeminiSettings(
        baseUrl,
        model,
        key.value(),
        key.source(),
        positive(spec, "connect_timeout", Duration.ofSeconds(10)),
        positive(spec, "first_byte_timeout", Duration.ofSeconds(60)),
        positive(spec, "idle_timeout", Duration.ofSeconds(60)),
        positive(spec, "total_timeout", Duration.ofMinutes(10)));
  }

  /** Returns {@code {base_url}/v1beta/models/{model}} followed by {@code suffix}. */
  URI modelUri(String suffix) {
    return URI.create(baseUrl + "/v1beta/models/" + model + suffix);
  }

  @Override
  public String toString() {
    return "GeminiSettings{baseUrl=" + baseUrl + ", model=" + model + ", apiKey=(from " + apiKeySource
        + "), connectTimeout=" + connectTimeout + ", firstByteTimeout=" + firstByteTimeout
        + ", idleTimeout=" + idleTimeout + ", totalTimeout=" + totalTimeout + '}';
  }

  /** A key and where it came from. */
  private record Key(String value, String source) {
    @Override
    public String toString() {
      return "Key{from " + source + '}';
    }
  }

  private static Key apiKey(ModelSpec spec, Function<String, @Nullable String> environment) {
    String key = spec.optionString("api_key").filter(k -> !k.isBlank()).orElse(null);
    if (key != null) {
      return new Key(key.strip(), "option api_key");
    }
    if (spec.optionString("api_key_env").isPresent()) {
      String var = spec.optionString("api_key_env").get().strip();
      String value = environment.apply(var);
      if (value == null || value.isBlank()) {
        throw spec.optionError("api_key_env", "names " + var + ", which is not set; set it or remove api_key_env");
      }
      return new Key(value.strip(), "environment variable " + var);
    }
    for (String var : DEFAULT_KEY_VARIABLES) {
      String value = environment.apply(var);
      if (value != null && !value.isBlank()) {
        return new Key(value.strip(), "environment variable " + var);
      }
    }
    throw spec.optionError(
        "api_key",
        "is missing and neither GEMINI_API_KEY nor GOOGLE_API_KEY is set; set one of them, or give"
            + " api_key or api_key_env (the name of a variable holding the key)");
  }

  private static URI parseBaseUrl(ModelSpec spec) {
    String url = spec.optionString("base_url").map(String::strip).orElse(DEFAULT_BASE_URL);
    while (url.endsWith("/")) {
      url = url.substring(0, url.length() - 1);
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw spec.optionError("base_url", "is not a URL (" + e.getReason() + " at index " + e.getIndex() + ")");
    }
    // checked first: a key put in the URL must not be quoted by the messages below
    if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
      throw spec.optionError(
          "base_url", "must be a plain root URL, without query, fragment or credentials (the key goes in api_key)");
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
      throw spec.optionError(
          "base_url", "must be an http or https URL such as " + DEFAULT_BASE_URL + ", got '" + url + "'");
    }
    String path = uri.getPath() == null ? "" : uri.getPath().toLowerCase(Locale.ROOT);
    if (path.endsWith("/v1beta") || path.endsWith("/v1") || path.contains("/models")) {
      throw spec.optionError(
          "base_url",
          "is the API root, such as " + DEFAULT_BASE_URL + "; the adapter appends /v1beta/models/{model}, so"
              + " remove the version and model from '" + url + "'");
    }
    return uri;
  }

  private static Duration positive(ModelSpec spec, String key, Duration fallback) {
    Duration d = spec.optionDuration(key).orElse(fallback);
    if (d.isNegative() || d.isZero()) {
      throw spec.optionError(key, "must be positive, got " + d);
    }
    return d;
  }
}
