package io.modelmux.http;

import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactory;
import io.modelmux.spi.ModelSpec;
import java.util.Set;

/**
 * Type {@code openai}: models behind OpenAI-compatible servers (vLLM, TGI, Ollama's
 * {@code /v1}, llama.cpp server, OpenAI itself).
 *
 * <p>Options: {@code base_url} (as OpenAI clients take it, ending in {@code /v1}) or
 * {@code replicas} (a list of them), {@code model} (the server's model name; default the id),
 * {@code api_key} or {@code api_key_env}, {@code endpoint} ({@code chat} or
 * {@code completions}), {@code headers}, {@code connect_timeout} (10s),
 * {@code first_byte_timeout} (60s), {@code idle_timeout} between stream chunks (60s),
 * {@code total_timeout} (10m), {@code http_version} ({@code 2} or {@code 1.1}),
 * {@code max_failures} before a replica is ejected (3) and {@code eject_for} (30s).
 */
public final class OpenAiModelFactory implements ModelFactory {
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
    return new OpenAiAdapter(spec.ref(), OpenAiSettings.from(spec, System::getenv));
  }
}
