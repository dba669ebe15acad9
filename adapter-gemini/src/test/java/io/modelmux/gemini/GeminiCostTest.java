package io.modelmux.gemini;

import static io.modelmux.http.testing.FakeServer.fixture;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.Cost;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.MultiModelManager;
import io.modelmux.TokenStream;
import io.modelmux.http.testing.FakeServer;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.Prices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cost through the Gemini adapter against a real server on 127.0.0.1: a streamed answer (whose
 * {@code usageMetadata} comes with its chunks) and a whole one with the same usage cost the same,
 * thinking tokens billed as output in both.
 */
class GeminiCostTest {
  private static final Prices PRICES = new Prices(0.10, 0.40);
  private FakeServer server;
  private MultiModelManager manager;

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
    manager = MultiModelManager.builder().environment(n -> null).factories(ModelFactories.none())
        .factory(new GeminiModelFactory(name -> null))
        .model(ModelSpec.builder("flash", "gemini").option("base_url", server.root()).option("model", "gemini-test")
            .option("api_key", GeminiAdapterTest.KEY).prices(PRICES).build())
        .build();
  }

  @AfterEach
  void stop() {
    manager.close();
    server.close();
  }

  @Test
  void should_cost_a_streamed_and_a_whole_answer_with_the_same_usage_the_same() {
    server.on(GeminiAdapterTest.STREAM, FakeServer.sse(fixture("gemini/stream_generate_content.sse"), 512, 0));
    server.on(GeminiAdapterTest.GENERATE, FakeServer.body(200, "application/json",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello\"}],\"role\":\"model\"},\"finishReason\":\"STOP\","
            + "\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":7,\"candidatesTokenCount\":153,\"thoughtsTokenCount\":45,\"totalTokenCount\":205},"
            + "\"modelVersion\":\"gemini-2.0-flash\"}"));

    GenerateResponse whole = manager.generate(GenerateRequest.of("flash", "Hi"));
    GenerateResponse streamed;
    try (TokenStream tokens = manager.stream(GenerateRequest.of("flash", "Hi"))) {
      tokens.forEach(piece -> { });
      streamed = tokens.response();
    }

    Cost expected = new Cost(PRICES.cost(7, 198), 7, 198, false); // thinking tokens are billed as output
    assertThat(whole.cost()).contains(expected);
    assertThat(streamed.cost()).contains(expected);
  }
}
