package io.modelmux.http;

import io.modelmux.spi.ModelSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A {@code type: openai} model's options, checked when the adapter is created.
 *
 * @param baseUrls the replicas' base URLs, each ending in {@code /v1} as OpenAI clients take it
 * @param model the model name the server knows
 * @param apiKey the bearer token, or null for none
 * @param apiKeySource where the key came from, for messages (never the key)
 * @param chat whether to use {@code /chat/completions} (else {@code /completions})
 * @param headers extra request headers
 * @param connectTimeout how long to wait for a connection
 * @param firstByteTimeout how long to wait for the response to begin
 * @param idleTimeout the longest silence between stream chunks
 * @param totalTimeout the longest a whole request may take
 * @param httpVersion HTTP/1.1 or HTTP/2
 * @param maxFailures consecutive failures that eject a replica
 * @param ejectFor how long an ejected replica is left out
 */
record OpenAiSettings(
    List<URI> baseUrls,
    String model,
    @Nullable String apiKey,
    String apiKeySource,
    boolean chat,
    Map<String, String> headers,
    Duration connectTimeout,
    Duration firstByteTimeout,
    Duration idleTimeout,
    Duration totalTimeout,
    HttpClient.Version httpVersion,
    int maxFailures,
    Duration ejectFor) {

  static final Set<String> KEYS =
      Set.of(
          "base_url", "replicas", "model", "api_key", "api_key_env", "endpoint", "headers",
          "connect_timeout", "first_byte_timeout", "idle_timeout", "total_timeout", "http_version",
          "max_failures", "eject_for");

  /** Parses the spec, reading {@code api_key_env} through {@code environment}. */
  static OpenAiSettings from(ModelSpec spec, Function<String, String> environment) {
    List<String> urls = new ArrayList<>(spec.optionStrings("replicas"));
    spec.optionString("base_url").ifPresent(u -> urls.add(0, u));
    if (urls.isEmpty()) {
      throw spec.optionError("base_url", "is required for type 'openai' (or give 'replicas': a list of base URLs)");
    }
    List<URI> parsed = new ArrayList<>();
    for (String u : urls) {
      parsed.add(parseUrl(spec, urls.size() > 1 ? "replicas" : "base_url", u));
    }
    String key = spec.optionString("api_key").filter(k -> !k.isBlank()).orElse(null);
    String source = "option api_key";
    if (key == null && spec.optionString("api_key_env").isPresent()) {
      String var = spec.optionString("api_key_env").get();
      key = environment.apply(var);
      source = "environment variable " + var;
      if (key == null || key.isBlank()) {
        throw spec.optionError("api_key_env", "names " + var + ", which is not set; set it or remove api_key_env");
      }
    }
    String endpoint = spec.optionString("endpoint").orElse("chat").toLowerCase(Locale.ROOT);
    if (!endpoint.equals("chat") && !endpoint.equals("completions")) {
      throw spec.optionError("endpoint", "must be chat or completions, got '" + endpoint + "'");
    }
    String version = spec.optionString("http_version").orElse("2");
    HttpClient.Version v;
    if (version.equals("1.1")) {
      v = HttpClient.Version.HTTP_1_1;
    } else if (version.equals("2")) {
      v = HttpClient.Version.HTTP_2;
    } else {
      throw spec.optionError("http_version", "must be 1.1 or 2, got '" + version + "'");
    }
    int maxFailures = spec.optionInt("max_failures").orElse(3);
    if (maxFailures < 1) {
      throw spec.optionError("max_failures", "must be at least 1, got " + maxFailures);
    }
    return new OpenAiSettings(
        List.copyOf(parsed),
        spec.optionString("model").orElse(spec.id()),
        key,
        source,
        endpoint.equals("chat"),
        spec.optionStringMap("headers"),
        positive(spec, "connect_timeout", Duration.ofSeconds(10)),
        positive(spec, "first_byte_timeout", Duration.ofSeconds(60)),
        positive(spec, "idle_timeout", Duration.ofSeconds(60)),
        positive(spec, "total_timeout", Duration.ofMinutes(10)),
        v,
        maxFailures,
        positive(spec, "eject_for", Duration.ofSeconds(30)));
  }

  private static URI parseUrl(ModelSpec spec, String key, String url) {
    try {
      URI uri = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        throw spec.optionError(key, "must be an http or https URL such as http://localhost:8000/v1, got '" + url + "'");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw spec.optionError(key, "is not a URL: " + e.getMessage());
    }
  }

  private static Duration positive(ModelSpec spec, String key, Duration fallback) {
    Duration d = spec.optionDuration(key).orElse(fallback);
    if (d.isNegative() || d.isZero()) {
      throw spec.optionError(key, "must be positive, got " + d);
    }
    return d;
  }
}
