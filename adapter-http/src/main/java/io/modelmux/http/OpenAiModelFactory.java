package io.modelmux.http;

import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Type {@code openai}: models behind OpenAI-compatible servers (vLLM, TGI, Ollama's
 * {@code /v1}, llama.cpp server, OpenAI itself).
 *
 * <p>Options: {@code base_url} (as OpenAI clients take it, ending in {@code /v1}; no credentials,
 * query or fragment) or {@code replicas} (a list of them), {@code model} (the server's model name;
 * default the id), {@code api_key} or {@code api_key_env} (the name of a variable holding the
 * key; the key is stripped of surrounding whitespace and must be printable ASCII), {@code
 * endpoint} ({@code chat} or {@code completions}), {@code headers} (sent with every request;
 * their values are secrets, never shown), {@code connect_timeout} (10s, the connection and its
 * TLS handshake), {@code first_byte_timeout} (60s, until a stream begins), {@code idle_timeout}
 * (60s, the longest silence while a body or a stream is read), {@code total_timeout} (10m, the
 * whole exchange, headers and body), {@code max_response_size} (32MiB, the largest answer read
 * whole and the largest stream event), {@code http_version} ({@code auto}: HTTP/2 on https by
 * ALPN, HTTP/1.1 on http; or {@code 2} or {@code 1.1}). With {@code replicas}, each server has
 * a circuit breaker with the model's {@code circuit_breaker} policy ({@code max_failures} and
 * {@code eject_for}, the passive ejection that came before, are refused with that advice).
 *
 * <p>Redirects are never followed: a {@code 3xx} fails naming the status and the {@code
 * Location}, so that neither the key nor a header reaches another server.
 */
public final class OpenAiModelFactory implements ModelFactory {
  private final Function<String, @Nullable String> environment;

  /** Creates the factory that {@link java.util.ServiceLoader} finds; keys come from {@link System#getenv}. */
  public OpenAiModelFactory() {
    this(System::getenv);
  }

  /** Creates a factory reading environment variables through {@code environment} (for tests). */
  OpenAiModelFactory(Function<String, @Nullable String> environment) {
    this.environment = Objects.requireNonNull(environment, "environment");
  }

  @Override
  public String type() {
    return "openai";
  }

  @Override
  public Set<String> optionKeys() {
    return OpenAiSettings.KEYS;
  }

  @Override
  public ModelAdapter create(ModelSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return new OpenAiAdapter(spec.ref(), OpenAiSettings.from(spec, environment));
  }
}
