package io.modelmux.http;

import io.modelmux.http.testing.FakeServer;
import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.ModelAdapterContractTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The OpenAI-compatible adapter keeps the adapter contract against a local server. */
class OpenAiAdapterContractTest extends ModelAdapterContractTest {
  static FakeServer server;

  static final String COMPLETION =
      "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,"
          + "\"message\":{\"role\":\"assistant\",\"content\":\"To be, or not\"},\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}";

  static final String STREAM =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"To be\"},\"finish_reason\":null}]}\n\n"
          + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\", or\"},\"finish_reason\":null}]}\n\n"
          + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" not\"},\"finish_reason\":\"stop\"}]}\n\n"
          + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}\n\n"
          + "data: [DONE]\n\n";

  @BeforeAll
  static void startServer() throws Exception {
    server = new FakeServer();
    server.on(
        "/v1/chat/completions",
        ex -> {
          String body = server.bodies.get(server.bodies.size() - 1);
          if (body.contains("FAIL")) {
            FakeServer.send(ex, 400, "application/json",
                "{\"error\":{\"message\":\"bad request\",\"type\":\"invalid_request_error\"}}".getBytes(StandardCharsets.UTF_8));
          } else if (body.contains("\"stream\":true")) {
            FakeServer.send(ex, 200, "text/event-stream", STREAM.getBytes(StandardCharsets.UTF_8));
          } else {
            FakeServer.send(ex, 200, "application/json", COMPLETION.getBytes(StandardCharsets.UTF_8));
          }
        });
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Override
  protected ModelAdapter createAdapter() {
    return new OpenAiModelFactory()
        .create(ModelSpec.builder("remote", "openai").option("base_url", server.openAiBaseUrl()).option("model", "m").build());
  }

  @Override
  protected GenerateRequest deterministicRequest() {
    return GenerateRequest.builder().prompt("Hamlet").temperature(0).build();
  }

  @Override
  protected GenerateRequest failingRequest() {
    return GenerateRequest.of("please FAIL");
  }
}
