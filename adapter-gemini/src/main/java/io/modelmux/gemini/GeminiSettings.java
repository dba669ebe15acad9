package io.modelmux.gemini;

import io.modelmux.http.internal.HttpOptions;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.Secrets;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
 * @param apiKey the key sent in {@code x-goog-api-key}, stripped and checked
 * @param apiKeySource where the key came from, for messages (never the key)
 * @param headers extra request headers, checked (for a proxy in front of Gemini)
 * @param http the timeouts and the response size limit
 * @param secrets the key and the headers' values, to keep out of every message
 */
record GeminiSettings(
    URI baseUrl, String model, String apiKey, String apiKeySource, Map<String, String> headers, HttpOptions http, Secrets secrets) {

  static final String DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com";

  /** The variables read, in order, when neither {@code api_key} nor {@code api_key_env} is given. */
  static final String[] DEFAULT_KEY_VARIABLES = {"GEMINI_API_KEY", "GOOGLE_API_KEY"};

  static final Set<String> KEYS = keys();

  private static Set<String> keys() {
    Set<String> keys = new HashSet<>(Set.of("model", "api_key", "api_key_env", "base_url", "headers"));
    keys.addAll(HttpOptions.KEYS);
    return Set.copyOf(keys);
  }

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
          "must be a Gemini model name such as gemini-2.0-flash, got " + MessageText.quote(model)
              + (spec.optionString("model").isEmpty() ? " (taken from the model's id; set 'model')" : ""));
    }
    URI baseUrl = parseBaseUrl(spec);
    HttpOptions.ApiKey key = apiKey(spec, environment);
    Map<String, String> headers = HttpOptions.headers(spec, "headers");
    if (headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase(GeminiAdapter.KEY_HEADER))) {
      throw spec.optionError("headers", "sets " + GeminiAdapter.KEY_HEADER + "; give the key in api_key or api_key_env instead");
    }
    return new GeminiSettings(
        baseUrl, model, key.value(), key.source(), headers, HttpOptions.from(spec), spec.secrets().and(key.value()));
  }

  /** Returns the HTTP version to ask for: HTTP/2 on https (ALPN falls back to 1.1), 1.1 on http. */
  HttpClient.Version httpVersion() {
    return HttpOptions.defaultVersion(baseUrl);
  }

  /** Returns {@code {base_url}/v1beta/models/{model}} followed by {@code suffix}. */
  URI modelUri(String suffix) {
    return URI.create(baseUrl + "/v1beta/models/" + model + suffix);
  }

  @Override
  public String toString() {
    return "GeminiSettings{baseUrl=" + baseUrl + ", model=" + model + ", apiKey=(from " + apiKeySource + "), headers="
        + headers.keySet() + ", http=" + http + '}';
  }

  private static HttpOptions.ApiKey apiKey(ModelSpec spec, Function<String, @Nullable String> environment) {
    Optional<HttpOptions.ApiKey> given = HttpOptions.apiKey(spec, environment);
    if (given.isPresent()) {
      return given.get();
    }
    for (String var : DEFAULT_KEY_VARIABLES) {
      String value = environment.apply(var);
      if (value != null && !value.isBlank()) {
        String source = "environment variable " + var;
        return new HttpOptions.ApiKey(HttpOptions.credential(spec, "api_key", source, value), source);
      }
    }
    throw spec.optionError(
        "api_key",
        "is missing and neither GEMINI_API_KEY nor GOOGLE_API_KEY is set; set one of them, or give"
            + " api_key or api_key_env (the name of a variable holding the key)");
  }

  private static URI parseBaseUrl(ModelSpec spec) {
    String url = spec.optionString("base_url").orElse(DEFAULT_BASE_URL);
    URI uri = HttpOptions.baseUrl(spec, "base_url", url, DEFAULT_BASE_URL);
    String path = uri.getPath() == null ? "" : uri.getPath().toLowerCase(Locale.ROOT);
    if (path.endsWith("/v1beta") || path.endsWith("/v1") || path.contains("/models")) {
      throw spec.optionError(
          "base_url",
          "is the API root, such as " + DEFAULT_BASE_URL + "; the adapter appends /v1beta/models/{model}, so"
              + " remove the version and model from its path " + MessageText.quote(uri.getPath()));
    }
    return uri;
  }
}
