package io.modelmux.gemini;

import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Type {@code gemini}: Google Gemini models over the Generative Language REST API ({@code
 * v1beta/models/{model}:generateContent} and {@code :streamGenerateContent?alt=sse}).
 *
 * <p>Options: {@code model} (the Gemini model name, such as {@code gemini-2.0-flash}; default the
 * id), {@code api_key} or {@code api_key_env} (the name of a variable holding the key; without
 * either, {@code GEMINI_API_KEY} and then {@code GOOGLE_API_KEY} are read, and a missing key fails
 * at create), {@code base_url} (the API root, default {@code
 * https://generativelanguage.googleapis.com}; the adapter appends {@code /v1beta/models/...}; no
 * credentials, query or fragment), {@code headers} (sent with every request, for a proxy in front
 * of Gemini; their values are secrets, never shown), {@code connect_timeout} (10s, the connection
 * and its TLS handshake), {@code first_byte_timeout} (60s, until a stream begins), {@code
 * idle_timeout} (60s, the longest silence while a body or a stream is read), {@code total_timeout}
 * (10m, the whole exchange, headers and body) and {@code max_response_size} (32MiB, the largest
 * answer read whole and the largest stream event). The key is stripped of surrounding
 * whitespace, must be printable ASCII, and is sent only in the {@code x-goog-api-key} header.
 * HTTP/2 is negotiated on https (falling back to HTTP/1.1), HTTP/1.1 is used on http. Redirects
 * are never followed.
 *
 * <p>For cost estimates, {@link #countTokens(ModelAdapter, GenerateRequest)} counts a request's
 * prompt tokens with Gemini's unbilled {@code countTokens} method before the request is sent.
 *
 * <p>Cheap to construct; thread-safe.
 */
public final class GeminiModelFactory implements ModelFactory {
  private final Function<String, @Nullable String> environment;

  /** Creates the factory that {@link java.util.ServiceLoader} finds; keys come from {@link System#getenv}. */
  public GeminiModelFactory() {
    this(System::getenv);
  }

  /** Creates a factory reading environment variables through {@code environment} (for tests). */
  GeminiModelFactory(Function<String, @Nullable String> environment) {
    this.environment = Objects.requireNonNull(environment, "environment");
  }

  @Override
  public String type() {
    return "gemini";
  }

  @Override
  public Set<String> optionKeys() {
    return GeminiSettings.KEYS;
  }

  @Override
  public ModelAdapter create(ModelSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new GeminiAdapter(spec.ref(), GeminiSettings.from(spec, environment));
  }

  /**
   * Counts the prompt tokens of {@code request} (messages and system instruction, not the options)
   * with {@code POST v1beta/models/{model}:countTokens}, which Gemini does not bill: multiply by
   * the model's input price for a cost estimate before sending the request.
   *
   * @param adapter a loaded adapter made by this type's factory; not null
   * @param request the request; not null
   * @return the prompt tokens Gemini counted
   * @throws IllegalArgumentException if {@code adapter} is not a Gemini adapter
   * @throws IllegalStateException if the adapter is not loaded, or closed
   * @throws io.modelmux.ModelMuxException if Gemini refuses or fails, as for {@code generate}
   */
  public static int countTokens(ModelAdapter adapter, GenerateRequest request) {
    Objects.requireNonNull(adapter, "adapter");
    Objects.requireNonNull(request, "request");
    if (!(adapter instanceof GeminiAdapter)) {
      throw new IllegalArgumentException(
          "adapter must be a Gemini adapter (type 'gemini'), got type '" + adapter.info().type() + "'");
    }
    return ((GeminiAdapter) adapter).countTokens(request);
  }
}
