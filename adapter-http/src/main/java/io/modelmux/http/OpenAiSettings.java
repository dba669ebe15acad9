package io.modelmux.http;

import io.modelmux.BreakerPolicy;
import io.modelmux.http.internal.HttpOptions;
import io.modelmux.spi.MessageText;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.Secrets;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A {@code type: openai} model's options, checked when the adapter is created. {@link
 * #toString()} shows neither the key nor the headers' values.
 *
 * @param baseUrls the replicas' base URLs, each ending in {@code /v1} as OpenAI clients take it
 * @param model the model name the server knows
 * @param apiKey the bearer token, stripped and checked, or null for none
 * @param apiKeySource where the key came from, for messages (never the key)
 * @param chat whether to use {@code /chat/completions} (else {@code /completions})
 * @param headers extra request headers, checked
 * @param http the timeouts and the response size limit
 * @param httpVersion the HTTP version asked for, or null to choose by each URL's scheme
 * @param replicaBreaker each replica's circuit breaker: the model's {@code circuit_breaker}
 * @param secrets the key and the headers' values, to keep out of every message
 */
record OpenAiSettings(
    List<URI> baseUrls,
    String model,
    @Nullable String apiKey,
    String apiKeySource,
    boolean chat,
    Map<String, String> headers,
    HttpOptions http,
    HttpClient.@Nullable Version httpVersion,
    BreakerPolicy replicaBreaker,
    Secrets secrets) {

  static final Set<String> KEYS = keys();

  private static final String EXAMPLE_URL = "http://localhost:8000/v1";

  private static Set<String> keys() {
    Set<String> keys =
        new HashSet<>(
            Set.of("base_url", "replicas", "model", "api_key", "api_key_env", "endpoint", "headers", "http_version",
                "max_failures", "eject_for"));
    keys.addAll(HttpOptions.KEYS);
    return Set.copyOf(keys);
  }

  /** Parses the spec, reading {@code api_key_env} through {@code environment}. */
  static OpenAiSettings from(ModelSpec spec, Function<String, @Nullable String> environment) {
    List<URI> parsed = new ArrayList<>();
    spec.optionString("base_url").ifPresent(u -> parsed.add(HttpOptions.baseUrl(spec, "base_url", u, EXAMPLE_URL)));
    for (String u : spec.optionStrings("replicas")) {
      parsed.add(HttpOptions.baseUrl(spec, "replicas", u, EXAMPLE_URL));
    }
    if (parsed.isEmpty()) {
      throw spec.optionError("base_url", "is required for type 'openai' (or give 'replicas': a list of base URLs)");
    }
    HttpOptions.ApiKey apiKey = HttpOptions.apiKey(spec, environment).orElse(null);
    String key = apiKey == null ? null : apiKey.value();
    String source = apiKey == null ? "option api_key" : apiKey.source();
    Map<String, String> headers = HttpOptions.headers(spec, "headers");
    if (key != null && headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase("authorization"))) {
      throw spec.optionError("headers", "sets Authorization, and so does the API key (" + source + "); give one of them");
    }
    String endpoint = spec.optionString("endpoint").orElse("chat").strip().toLowerCase(Locale.ROOT);
    if (!endpoint.equals("chat") && !endpoint.equals("completions")) {
      throw spec.optionError("endpoint", "must be chat or completions, got " + MessageText.quote(endpoint));
    }
    HttpClient.Version v = null;
    if (spec.optionString("http_version").isPresent()) {
      String version = spec.optionString("http_version").get().strip();
      if (version.equals("1.1")) {
        v = HttpClient.Version.HTTP_1_1;
      } else if (version.equals("2")) {
        v = HttpClient.Version.HTTP_2;
      } else if (!version.equals("auto")) {
        throw spec.optionError(
            "http_version", "must be 1.1, 2 or auto (HTTP/2 on https, HTTP/1.1 on http), got " + MessageText.quote(version));
      }
    }
    for (String gone : List.of("max_failures", "eject_for")) {
      if (spec.options().containsKey(gone)) {
        // kept among the known keys only to say what replaced them
        throw spec.optionError(
            gone, "is no longer read: each replica now has the model's circuit_breaker ({failure_rate, window,"
                + " minimum_calls, open_for}), the same breaker the manager keeps for the model; remove " + gone
                + " and set circuit_breaker if its defaults do not suit");
      }
    }
    return new OpenAiSettings(
        List.copyOf(parsed),
        spec.optionString("model").orElse(spec.id()),
        key,
        source,
        endpoint.equals("chat"),
        headers,
        HttpOptions.from(spec),
        v,
        spec.circuitBreaker(),
        spec.secrets().and(key));
  }

  /** Returns the HTTP version to ask for at {@code uri}. */
  HttpClient.Version versionFor(URI uri) {
    return httpVersion != null ? httpVersion : HttpOptions.defaultVersion(uri);
  }

  @Override
  public String toString() {
    return "OpenAiSettings{baseUrls=" + baseUrls + ", model=" + model + ", apiKey="
        + (apiKey == null ? "none" : "(from " + apiKeySource + ")") + ", chat=" + chat + ", headers=" + headers.keySet()
        + ", http=" + http + ", httpVersion=" + (httpVersion == null ? "auto" : httpVersion) + ", replicaBreaker=" + replicaBreaker
        + '}';
  }
}
