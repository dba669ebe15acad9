package io.modelmux.gemini;

import io.modelmux.http.testing.FakeServer;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.ModelAdapterContractTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Gemini adapter keeps the adapter contract against a local server speaking Gemini's REST API. */
class GeminiAdapterContractTest extends ModelAdapterContractTest {
  static FakeServer server;

  static final String ANSWER =
      "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"To be, or not\"}],\"role\":\"model\"},"
          + "\"finishReason\":\"STOP\",\"index\":0}],"
          + "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":4,\"totalTokenCount\":7},"
          + "\"modelVersion\":\"gemini-test\"}";

  static final String STREAM =
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"To be\"}],\"role\":\"model\"},\"index\":0}],"
          + "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":5}}\r\n\r\n"
          + "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\", or\"}],\"role\":\"model\"},\"index\":0}],"
          + "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":3,\"totalTokenCount\":6}}\r\n\r\n"
          + "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" not\"}],\"role\":\"model\"},"
          + "\"finishReason\":\"STOP\",\"index\":0}],"
          + "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":4,\"totalTokenCount\":7}}\r\n\r\n";

  static final String INVALID =
      "{\n  \"error\": {\n    \"code\": 400,\n    \"message\": \"Invalid value at 'contents'\",\n"
          + "    \"status\": \"INVALID_ARGUMENT\"\n  }\n}\n";

  @BeforeAll
  static void startServer() throws Exception {
    server = new FakeServer();
    FakeServer.Answer answer =
        ex -> {
          String body = FakeServer.requestBody(ex);
          boolean stream = ex.getRequestURI().getPath().endsWith(":streamGenerateContent");
          if (body.contains("FAIL")) {
            FakeServer.send(ex, 400, stream ? "text/event-stream" : "application/json", INVALID.getBytes(StandardCharsets.UTF_8));
          } else if (stream) {
            FakeServer.send(ex, 200, "text/event-stream", STREAM.getBytes(StandardCharsets.UTF_8));
          } else {
            FakeServer.send(ex, 200, "application/json", ANSWER.getBytes(StandardCharsets.UTF_8));
          }
        };
    server.on("/v1beta/models/gemini-test:generateContent", answer);
    server.on("/v1beta/models/gemini-test:streamGenerateContent", answer);
    server.on("/v1beta/models/gemini-test", FakeServer.body(200, "application/json", "{\"name\":\"models/gemini-test\"}"));
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Override
  protected ModelAdapter createAdapter() {
    return new GeminiModelFactory(name -> null)
        .create(
            ModelSpec.builder("remote-gemini", "gemini")
                .option("base_url", server.root())
                .option("model", "gemini-test")
                .option("api_key", "contract-test-key")
                .build());
  }

  @Override
  protected GenerateRequest deterministicRequest() {
    return GenerateRequest.builder().prompt("Hamlet").temperature(0).build();
  }

  @Override
  protected GenerateRequest failingRequest() {
    return GenerateRequest.of("please FAIL");
  }

  @Override
  protected void assertReleased(ModelAdapter adapter) {
    super.assertReleased(adapter);
    assertThat(adapter.health().detail()).isEqualTo("closed");
  }
}
