package io.modelmux.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.modelmux.BackendException;
import io.modelmux.ConfigException;
import io.modelmux.GenerateRequest;
import io.modelmux.http.internal.WireJson;
import io.modelmux.http.testing.FakeServer;
import io.modelmux.http.testing.HostileBackendContractTest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code openai} adapter against misbehaving and hostile servers on 127.0.0.1. */
class OpenAiHostileBackendTest extends HostileBackendContractTest {
  @Override
  protected ModelSpec.Builder spec(String root) {
    return ModelSpec.builder("llama", "openai").option("base_url", root + "/v1").option("model", "served-llama").option("api_key", KEY);
  }

  @Override
  protected ModelAdapter create(ModelSpec spec, Map<String, String> environment) {
    return new OpenAiModelFactory(environment::get).create(spec);
  }

  @Override
  protected String generatePath() {
    return "/v1/chat/completions";
  }

  @Override
  protected String streamPath() {
    return "/v1/chat/completions";
  }

  @Override
  protected boolean isStreamRequest(HttpExchange ex) {
    return FakeServer.requestBody(ex).contains("\"stream\":true");
  }

  @Override
  protected byte[] answer(String text) {
    ObjectNode root = WireJson.MAPPER.createObjectNode().put("id", "c-1").put("object", "chat.completion").put("model", "served-llama");
    ObjectNode choice = root.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
    choice.putObject("message").put("role", "assistant").put("content", text);
    return root.toString().getBytes(UTF_8);
  }

  @Override
  protected byte[] streamEvent(String text) {
    ObjectNode root = WireJson.MAPPER.createObjectNode().put("object", "chat.completion.chunk");
    root.putArray("choices").addObject().put("index", 0).putObject("delta").put("content", text);
    return ("data: " + root + "\n\n").getBytes(UTF_8);
  }

  @Override
  protected byte[] streamEnd() {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n".getBytes(UTF_8);
  }

  @Override
  protected byte[] errorBody(int status, String message) {
    ObjectNode root = WireJson.MAPPER.createObjectNode();
    root.putObject("error").put("message", message).put("type", "server_error").put("code", status);
    return root.toString().getBytes(UTF_8);
  }

  @Override
  protected String keyHeader() {
    return "Authorization";
  }

  @Override
  protected String keyHeaderValue(String key) {
    return "Bearer " + key;
  }

  @Test
  void should_ask_for_http_2_on_a_cleartext_url_only_when_told_to() {
    server.on(generatePath(), ex -> {
      boolean upgrade = ex.getRequestHeaders().containsKey("Upgrade");
      FakeServer.send(ex, upgrade ? 500 : 200, "application/json", upgrade ? errorBody(500, "no h2c here") : answer("fine"));
    });

    assertThat(adapter(spec(server.root()).option("http_version", "auto")).generate(GenerateRequest.of("Hi")).text()).isEqualTo("fine");
    assertThat(adapter(spec(server.root()).option("http_version", "1.1")).generate(GenerateRequest.of("Hi")).text()).isEqualTo("fine");
    assertThatThrownBy(() -> adapter(spec(server.root()).option("http_version", "2")).generate(GenerateRequest.of("Hi")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("no h2c here");
    assertThat(server.headers.get(2).get("Upgrade")).containsExactly("h2c");
  }

  @Test
  void should_refuse_an_authorization_header_beside_an_api_key() {
    assertThatThrownBy(() -> create(spec(server.root()).option("headers", Map.of("authorization", "Bearer other-0123")).build(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("sets Authorization, and so does the API key")
        .hasMessageNotContaining("other-0123");
  }

  @Test
  void should_quote_the_replica_and_not_the_key_in_to_string() {
    ModelAdapter a = adapter();

    assertThat(a.toString()).doesNotContain(KEY);
    assertThat(OpenAiSettings.from(spec(server.root()).build(), name -> null).toString())
        .doesNotContain(KEY)
        .contains("apiKey=(from option api_key)");
  }
}
