package io.modelmux.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelmux.spi.ModelSpec;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** With API keys set, every endpoint but /health wants one, and no key is ever repeated back. */
class GatewayKeysTest extends GatewayTestBase {
  private static final String KEY = "sk-gateway-9f8e7d6c5b4a";
  private static final String OTHER = "sk-second-key-0a1b2c";

  @BeforeEach
  void startGateway() {
    poet("poet");
    manager = builder().model(ModelSpec.builder("poet", "scripted").build()).build();
    gateway = gatewayBuilder().apiKeys(List.of(KEY, OTHER)).build().start();
  }

  @Test
  void should_answer_401_without_a_key_and_with_a_wrong_one() {
    HttpResponse<String> none = post("/v1/chat/completions", chat("poet", "x", false));
    HttpResponse<String> wrong = post("/v1/chat/completions", chat("poet", "x", false),
        "Authorization", "Bearer sk-guess-1234567890");
    HttpResponse<String> notBearer = post("/v1/chat/completions", chat("poet", "x", false),
        "Authorization", "Basic " + KEY);

    for (HttpResponse<String> r : List.of(none, wrong, notBearer)) {
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
      JsonNode e = json(r.body()).path("error");
      assertThat(e.path("code").asText()).isEqualTo("invalid_api_key");
      assertThat(r.body()).doesNotContain(KEY).doesNotContain(OTHER).doesNotContain("sk-guess");
    }
    assertThat(json(none.body()).path("error").path("message").asText()).contains("Authorization: Bearer");
  }

  @Test
  void should_close_the_connection_after_a_401_given_before_the_body_came() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
      socket.setSoTimeout(20_000);
      sendRaw(socket, chat("poet", "x", false), false); // the head only: the body is still to come

      RawAnswer refused = readAnswer(socket.getInputStream());

      assertThat(refused.status()).isEqualTo("HTTP/1.1 401 Unauthorized");
      assertThat(refused.headers()).as("the client must not send its next request here").containsEntry("connection", "close");
      assertThat(socket.getInputStream().read()).as("the gateway closed the connection").isEqualTo(-1);
    }
  }

  @Test
  void should_keep_the_connection_after_a_401_whose_body_came_with_it() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), gateway.port())) {
      socket.setSoTimeout(20_000);
      sendRaw(socket, chat("poet", "x", false), true);
      RawAnswer refused = readAnswer(socket.getInputStream());
      assertThat(refused.status()).isEqualTo("HTTP/1.1 401 Unauthorized");
      assertThat(refused.headers()).doesNotContainKey("connection");

      sendRaw(socket, chat("poet", "kept", false), true, "Authorization: Bearer " + KEY);
      RawAnswer served = readAnswer(socket.getInputStream());

      assertThat(served.status()).isEqualTo("HTTP/1.1 200 OK");
      assertThat(json(served.body()).path("choices").get(0).path("message").path("content").asText())
          .isEqualTo("You said: kept");
    }
  }

  @Test
  void should_serve_a_call_with_any_of_its_keys() {
    assertThat(post("/v1/chat/completions", chat("poet", "x", false), "Authorization", "Bearer " + KEY).statusCode()).isEqualTo(200);
    assertThat(post("/v1/chat/completions", chat("poet", "x", true), "Authorization", "Bearer " + OTHER).statusCode()).isEqualTo(200);
    assertThat(get("/v1/models", "Authorization", "Bearer " + KEY).statusCode()).isEqualTo(200);
  }

  @Test
  void should_guard_models_and_metrics_but_not_health() {
    assertThat(get("/v1/models").statusCode()).isEqualTo(401);
    assertThat(get("/metrics").statusCode()).isEqualTo(401);
    assertThat(get("/health").statusCode()).isEqualTo(200);
    HttpResponse<String> metrics = get("/metrics", "Authorization", "Bearer " + KEY);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).doesNotContain(KEY).doesNotContain(OTHER);
  }

  @Test
  void should_never_show_a_key_in_its_description() {
    assertThat(gateway.toString()).doesNotContain(KEY).doesNotContain(OTHER);
    assertThat(new ApiKeys(List.of(KEY)).toString()).isEqualTo("ApiKeys[1 keys]");
  }
}
