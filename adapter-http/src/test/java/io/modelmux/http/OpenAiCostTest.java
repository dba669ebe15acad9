package io.modelmux.http;

import static io.modelmux.http.testing.FakeServer.fixture;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.Cost;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.MultiModelManager;
import io.modelmux.http.testing.FakeServer;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.Prices;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cost through the OpenAI-compatible adapter against a real server on 127.0.0.1: a streamed and
 * a whole answer with the same usage cost the same (the stream asks for usage with {@code
 * stream_options.include_usage}); a stream from a server that sends no usage is costed from
 * counted tokens and marked estimated.
 */
class OpenAiCostTest {
  private static final Prices PRICES = new Prices(2.5, 10);
  private FakeServer server;
  private MultiModelManager manager;

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
    manager = MultiModelManager.builder().environment(n -> null)
        .model(ModelSpec.builder("gpt", "openai").option("base_url", server.openAiBaseUrl()).option("model", "gpt-4o-mini")
            .prices(PRICES).build())
        .build();
  }

  @AfterEach
  void stop() {
    manager.close();
    server.close();
  }

  @Test
  void should_cost_a_streamed_and_a_whole_answer_with_the_same_usage_the_same() {
    String whole = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":30,\"total_tokens\":44}}";
    server.on("/v1/chat/completions", exchange -> {
      boolean stream = FakeServer.requestBody(exchange).contains("\"stream\":true");
      if (stream) {
        FakeServer.sse(fixture("openai/chat_stream_openai_text_usage.sse"), 64, 0).answer(exchange);
      } else {
        FakeServer.send(exchange, 200, "application/json", whole.getBytes(StandardCharsets.UTF_8));
      }
    });

    GenerateResponse plain = manager.generate(GenerateRequest.of("gpt", "Hi"));
    StringBuilder text = new StringBuilder();
    var tokens = manager.stream(GenerateRequest.of("gpt", "Hi"));
    tokens.forEach(text::append);
    GenerateResponse streamed = tokens.response();

    Cost expected = new Cost((14 * 2.5 + 30 * 10) / 1e6, 14, 30, false);
    assertThat(plain.cost()).contains(expected);
    assertThat(streamed.cost()).contains(expected);
    assertThat(server.bodies.get(1)).contains("\"include_usage\":true");
    assertThat(manager.metrics().cost().total()).isEqualTo(2 * expected.amount());
  }

  @Test
  void should_estimate_the_cost_of_a_stream_that_brings_no_usage() {
    server.on("/v1/chat/completions", FakeServer.sse(fixture("openai/tgi_chat_stream.sse"), 64, 0));

    var tokens = manager.stream(GenerateRequest.of("gpt", "Hi there, who are you?"));
    StringBuilder text = new StringBuilder();
    tokens.forEach(text::append);
    Cost cost = tokens.response().cost().orElseThrow();

    assertThat(cost.estimated()).isTrue();
    assertThat(cost.inputTokens()).isEqualTo(("Hi there, who are you?".length() + 3) / 4);
    assertThat(cost.outputTokens()).isEqualTo((text.length() + 3) / 4).isPositive();
    assertThat(cost.amount()).isEqualTo(PRICES.cost(cost.inputTokens(), cost.outputTokens()));
    assertThat(manager.metrics().cost().estimated()).isEqualTo(cost.amount());
  }
}
