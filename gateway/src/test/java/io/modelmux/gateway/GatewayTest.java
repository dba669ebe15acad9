package io.modelmux.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelmux.RouteConfig;
import io.modelmux.spi.ModelSpec;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OpenAI wire format through the gateway, whole and streamed, with plain HTTP. */
class GatewayTest extends GatewayTestBase {
  @BeforeEach
  void startGateway() {
    poet("poet");
    manager = builder()
        .model(ModelSpec.builder("poet", "scripted").version("1").build())
        .model(ModelSpec.builder("poet", "scripted").version("2").build())
        .alias("prod", "poet@1")
        .route(RouteConfig.builder("ab").split("poet@1", 50).split("poet@2", 50).build())
        .defaultModel("poet@2")
        .build();
    start();
  }

  @Test
  void should_answer_a_chat_completion_as_openai_does() {
    HttpResponse<String> r = post("/v1/chat/completions", chat("poet@1", "to be or not", false));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    assertThat(r.headers().firstValue("X-ModelMux-Model")).hasValue("poet@1");
    JsonNode body = json(r.body());
    assertThat(body.path("object").asText()).isEqualTo("chat.completion");
    assertThat(body.path("id").asText()).startsWith("chatcmpl-");
    assertThat(body.path("created").asLong()).isPositive();
    assertThat(body.path("model").asText()).isEqualTo("poet@1");
    JsonNode choice = body.path("choices").get(0);
    assertThat(choice.path("index").asInt()).isZero();
    assertThat(choice.path("message").path("role").asText()).isEqualTo("assistant");
    assertThat(choice.path("message").path("content").asText()).isEqualTo("You said: not or be to");
    assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
    assertThat(body.path("usage").path("prompt_tokens").asInt()).isEqualTo(3);
    assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(6);
    assertThat(body.path("usage").path("total_tokens").asInt()).isEqualTo(9);
  }

  @Test
  void should_stream_a_chat_completion_as_server_sent_events_with_usage_last() {
    HttpResponse<String> r = post("/v1/chat/completions", chat("poet@1", "a b c", true));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
    List<String> events = events(r.body());
    assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
    assertThat(streamedText(events)).isEqualTo("You said: c b a");
    JsonNode first = json(events.get(0));
    assertThat(first.path("object").asText()).isEqualTo("chat.completion.chunk");
    assertThat(first.path("choices").get(0).path("delta").path("role").asText()).isEqualTo("assistant");
    String id = first.path("id").asText();
    List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(GatewayTestBase::json).toList();
    assertThat(chunks).allSatisfy(c -> assertThat(c.path("id").asText()).isEqualTo(id));
    JsonNode finish = chunks.get(chunks.size() - 2);
    assertThat(finish.path("choices").get(0).path("finish_reason").asText()).isEqualTo("stop");
    assertThat(finish.path("model").asText()).isEqualTo("poet@1");
    JsonNode usage = chunks.get(chunks.size() - 1);
    assertThat(usage.path("choices")).isEmpty();
    assertThat(usage.path("usage").path("completion_tokens").asInt()).isEqualTo(5);
    assertThat(chunks.subList(0, chunks.size() - 1))
        .allSatisfy(c -> assertThat(c.has("usage") && c.get("usage").isNull()).isTrue());
  }

  @Test
  void should_stream_without_usage_when_not_asked() {
    HttpResponse<String> r = post("/v1/chat/completions",
        "{\"model\":\"poet\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"x y\"}]}");

    List<String> events = events(r.body());
    assertThat(streamedText(events)).isEqualTo("You said: y x");
    assertThat(events.subList(0, events.size() - 1))
        .allSatisfy(e -> assertThat(json(e).has("usage")).isFalse());
  }

  @Test
  void should_answer_text_completions_whole_and_streamed() {
    HttpResponse<String> whole = post("/v1/completions", "{\"model\":\"prod\",\"prompt\":\"one two\",\"max_tokens\":5}");
    HttpResponse<String> streamed = post("/v1/completions",
        "{\"model\":\"prod\",\"prompt\":[\"one two\"],\"stream\":true,\"stream_options\":{\"include_usage\":true}}");

    JsonNode body = json(whole.body());
    assertThat(body.path("object").asText()).isEqualTo("text_completion");
    assertThat(body.path("id").asText()).startsWith("cmpl-");
    assertThat(body.path("choices").get(0).path("text").asText()).isEqualTo("You said: two one");
    List<String> events = events(streamed.body());
    assertThat(streamedText(events)).isEqualTo("You said: two one");
    assertThat(json(events.get(0)).path("object").asText()).isEqualTo("text_completion");
    assertThat(events.get(events.size() - 1)).isEqualTo("[DONE]");
  }

  @Test
  void should_map_the_model_to_an_id_version_alias_route_or_the_default() {
    assertThat(post("/v1/chat/completions", chat("prod", "x", false)).headers().firstValue("X-ModelMux-Model")).hasValue("poet@1");
    assertThat(post("/v1/chat/completions", chat("poet@2", "x", false)).headers().firstValue("X-ModelMux-Model")).hasValue("poet@2");
    assertThat(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
        .headers().firstValue("X-ModelMux-Model")).hasValue("poet@2");
    java.util.Set<String> served = new java.util.HashSet<>();
    for (int i = 0; i < 40 && served.size() < 2; i++) {
      served.add(post("/v1/chat/completions", chat("ab", "x", false)).headers().firstValue("X-ModelMux-Model").orElseThrow());
    }
    assertThat(served).containsExactlyInAnyOrder("poet@1", "poet@2");
  }

  @Test
  void should_keep_a_routing_key_on_one_side_of_a_split() {
    String first = post("/v1/chat/completions", "{\"model\":\"ab\",\"user\":\"u-42\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
        .headers().firstValue("X-ModelMux-Model").orElseThrow();
    for (int i = 0; i < 10; i++) {
      assertThat(post("/v1/chat/completions", "{\"model\":\"ab\",\"user\":\"u-42\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
          .headers().firstValue("X-ModelMux-Model")).hasValue(first);
    }
  }

  @Test
  void should_list_ids_versions_aliases_and_routes() {
    JsonNode list = json(get("/v1/models").body());

    assertThat(list.path("object").asText()).isEqualTo("list");
    List<String> ids = list.path("data").findValuesAsText("id");
    assertThat(ids).containsExactly("poet", "poet@1", "poet@2", "prod", "ab");
    assertThat(list.path("data").get(3).path("modelmux_kind").asText()).isEqualTo("alias");
    assertThat(list.path("data").get(3).path("modelmux_target").asText()).isEqualTo("poet@1");
    assertThat(list.path("data").get(4).path("modelmux_kind").asText()).isEqualTo("route");
    assertThat(list.path("data").get(0).path("object").asText()).isEqualTo("model");
    JsonNode one = json(get("/v1/models/prod").body());
    assertThat(one.path("id").asText()).isEqualTo("prod");
    HttpResponse<String> missing = get("/v1/models/nope");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(json(missing.body()).path("error").path("message").asText()).contains("poet@1", "prod", "ab");
  }

  @Test
  void should_say_it_is_healthy_and_serve_prometheus_metrics() {
    post("/v1/chat/completions", chat("poet@1", "x", false));

    HttpResponse<String> health = get("/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(json(health.body()).path("status").asText()).isEqualTo("ok");
    assertThat(json(health.body()).path("models").asInt()).isEqualTo(2);
    HttpResponse<String> metrics = get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    assertThat(metrics.body())
        .contains("gen_ai_client_operation_duration_seconds_bucket{")
        .contains("gen_ai_request_model=\"poet@1\"")
        .containsPattern("modelmux_gateway_requests_total\\{endpoint=\"/v1/chat/completions\",status=\"200\"\\} 1\\.0");
  }

  @Test
  void should_refuse_to_build_with_bad_settings() {
    assertThatThrownBy(() -> Gateway.builder(manager).port(70000)).hasMessageContaining("port must be 0 to 65535; got 70000");
    assertThatThrownBy(() -> Gateway.builder(manager).apiKeys(List.of(" "))).hasMessageContaining("must not be blank");
    assertThatThrownBy(() -> Gateway.builder(manager).maxBodyBytes(10)).hasMessageContaining("maxBodyBytes");
    assertThatThrownBy(() -> Gateway.builder(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void should_refuse_a_second_gateway_on_a_port_in_use_with_a_clear_error() {
    Gateway second = Gateway.builder(manager).port(gateway.port()).build();
    assertThatThrownBy(second::start)
        .isInstanceOf(io.modelmux.ModelMuxException.class)
        .hasMessageContaining("cannot listen on 127.0.0.1:" + gateway.port());
    second.close();
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }
}
