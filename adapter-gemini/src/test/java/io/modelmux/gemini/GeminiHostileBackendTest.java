package io.modelmux.gemini;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.modelmux.http.internal.WireJson;
import io.modelmux.http.testing.HostileBackendContractTest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code gemini} adapter against misbehaving and hostile servers on 127.0.0.1. */
class GeminiHostileBackendTest extends HostileBackendContractTest {
  @Override
  protected ModelSpec.Builder spec(String root) {
    return ModelSpec.builder("flash", "gemini").option("base_url", root).option("model", "gemini-test").option("api_key", KEY);
  }

  @Override
  protected ModelAdapter create(ModelSpec spec, Map<String, String> environment) {
    return new GeminiModelFactory(environment::get).create(spec);
  }

  @Override
  protected String generatePath() {
    return "/v1beta/models/gemini-test:generateContent";
  }

  @Override
  protected String streamPath() {
    return "/v1beta/models/gemini-test:streamGenerateContent";
  }

  @Override
  protected boolean isStreamRequest(HttpExchange ex) {
    return ex.getRequestURI().getPath().endsWith(":streamGenerateContent");
  }

  @Override
  protected byte[] answer(String text) {
    return response(text, "STOP").toString().getBytes(UTF_8);
  }

  private static ObjectNode response(String text, String finishReason) {
    ObjectNode root = WireJson.MAPPER.createObjectNode();
    ObjectNode candidate = root.putArray("candidates").addObject();
    candidate.putObject("content").put("role", "model").putArray("parts").addObject().put("text", text);
    if (finishReason != null) {
      candidate.put("finishReason", finishReason);
    }
    root.put("modelVersion", "gemini-test-001");
    return root;
  }

  @Override
  protected byte[] streamEvent(String text) {
    return ("data: " + response(text, null) + "\r\n\r\n").getBytes(UTF_8);
  }

  @Override
  protected byte[] streamEnd() {
    return ("data: " + response("", "STOP") + "\r\n\r\n").getBytes(UTF_8);
  }

  @Override
  protected byte[] errorBody(int status, String message) {
    ObjectNode root = WireJson.MAPPER.createObjectNode();
    root.putObject("error").put("code", status).put("message", message).put("status", status >= 500 ? "UNAVAILABLE" : "INVALID_ARGUMENT");
    return root.toString().getBytes(UTF_8);
  }

  @Override
  protected String keyHeader() {
    return "x-goog-api-key";
  }

  @Override
  protected String keyHeaderValue(String key) {
    return key;
  }

  @Test
  void should_keep_the_key_out_of_the_url_and_to_string() {
    ModelAdapter a = adapter();

    assertThat(a.toString()).doesNotContain(KEY);
    assertThat(GeminiSettings.from(spec(server.root()).build(), name -> null).toString()).doesNotContain(KEY);
  }
}
