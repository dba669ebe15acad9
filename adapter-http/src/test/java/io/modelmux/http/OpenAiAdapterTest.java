package io.modelmux.http;

import io.modelmux.http.testing.FakeServer;
import static io.modelmux.http.testing.FakeServer.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.AuthenticationException;
import io.modelmux.BackendException;
import io.modelmux.ChatMessage;
import io.modelmux.ConfigException;
import io.modelmux.ContentFilteredException;
import io.modelmux.ContextLengthExceededException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.InvalidRequestException;
import io.modelmux.RateLimitedException;
import io.modelmux.UnknownModelException;
import io.modelmux.Usage;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.RecordingSink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The adapter against a real HTTP server on 127.0.0.1 serving the fixtures byte for byte. */
class OpenAiAdapterTest {
  private FakeServer server;
  private final List<ModelAdapter> adapters = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
  }

  @AfterEach
  void stop() {
    adapters.forEach(ModelAdapter::close);
    server.close();
  }

  private ModelSpec.Builder spec() {
    return ModelSpec.builder("llama", "openai").option("base_url", server.openAiBaseUrl()).option("model", "served-llama");
  }

  private ModelAdapter adapter(ModelSpec.Builder spec) {
    ModelAdapter a = new OpenAiModelFactory().create(spec.build());
    adapters.add(a);
    a.load();
    return a;
  }

  private ModelAdapter adapter() {
    return adapter(spec());
  }

  @Test
  void should_send_the_request_as_openai_clients_do() throws Exception {
    server.on("/v1/chat/completions", FakeServer.json(200, "openai/vllm_chat_completion.json"));
    ModelAdapter a = adapter(spec().option("api_key", "sk-test").option("headers", Map.of("X-Team", "search")));

    a.generate(
        GenerateRequest.builder()
            .message(ChatMessage.system("Be brief."))
            .message(ChatMessage.user("Hi"))
            .maxTokens(7).temperature(0.5).topP(0.9).stop("END").seed(11)
            .build());

    JsonNode body = new ObjectMapper().readTree(server.bodies.get(0));
    assertThat(body.path("model").asText()).isEqualTo("served-llama");
    assertThat(body.path("messages").get(0).path("role").asText()).isEqualTo("system");
    assertThat(body.path("messages").get(1).path("content").asText()).isEqualTo("Hi");
    assertThat(body.path("max_tokens").asInt()).isEqualTo(7);
    assertThat(body.path("temperature").asDouble()).isEqualTo(0.5);
    assertThat(body.path("top_p").asDouble()).isEqualTo(0.9);
    assertThat(body.path("stop").get(0).asText()).isEqualTo("END");
    assertThat(body.path("seed").asLong()).isEqualTo(11);
    assertThat(body.has("stream")).isFalse();
    assertThat(server.headers.get(0).get("Authorization")).containsExactly("Bearer sk-test");
    assertThat(server.headers.get(0).get("X-team")).containsExactly("search");
  }

  @ParameterizedTest
  @CsvSource({
    "openai/chat_completion_openai_recorded.json",
    "openai/chat_completion_openai_spec.json",
    "openai/vllm_chat_completion.json",
    "openai/tgi_chat_completion.json",
    "openai/ollama_chat_completion.json",
    "openai/llamacpp_chat_completion.json"
  })
  void should_read_each_servers_chat_completion(String file) throws Exception {
    server.on("/v1/chat/completions", FakeServer.json(200, file));
    JsonNode expected = new ObjectMapper().readTree(fixture(file)).path("choices").get(0);

    Completion c = adapter().generate(GenerateRequest.of("Hi"));

    assertThat(c.text()).isEqualTo(expected.path("message").path("content").asText(""));
    assertThat(c.finishReason()).isEqualTo(OpenAiAdapter.finishReason(expected.path("finish_reason")));
    assertThat(c.usage()).isPresent();
    assertThat(c.backendModel()).isPresent();
  }

  @Test
  void should_use_the_completions_endpoint_when_asked() {
    server.on("/v1/completions", FakeServer.json(200, "openai/completion_openai_spec.json"));

    Completion c = adapter(spec().option("endpoint", "completions")).generate(GenerateRequest.of("Say this"));

    assertThat(c.text()).isNotEmpty();
    assertThat(server.bodies.get(0)).contains("\"prompt\":\"Say this\"");
  }

  @ParameterizedTest
  @CsvSource({
    "openai/chat_stream_openai_text_usage.sse, STOP",
    "openai/chat_stream_openai_finish_length.sse, LENGTH",
    "openai/ollama_chat_stream.sse, STOP",
    "openai/tgi_chat_stream.sse, STOP",
    "openai/llamacpp_chat_stream.sse, STOP"
  })
  void should_stream_each_servers_chunks_split_anywhere(String file, FinishReason finish) {
    server.on("/v1/chat/completions", FakeServer.sse(fixture(file), 7, 0));
    RecordingSink sink = new RecordingSink();

    Completion c = adapter().stream(GenerateRequest.of("Hi"), sink);

    assertThat(c.text()).isNotEmpty().isEqualTo(sink.text());
    assertThat(c.finishReason()).isEqualTo(finish);
    assertThat(server.bodies.get(0)).contains("\"stream\":true").contains("\"include_usage\":true");
  }

  @Test
  void should_take_usage_from_the_usage_chunk() {
    server.on("/v1/chat/completions", FakeServer.sse(fixture("openai/chat_stream_openai_text_usage.sse"), 64, 0));

    Completion c = adapter().stream(GenerateRequest.of("Hi"), new RecordingSink());

    assertThat(c.usage()).get().extracting(Usage::completionTokens).isNotEqualTo(0L);
  }

  @ParameterizedTest
  @CsvSource({
    "openai/chat_stream_openai_error_midstream.sse",
    "openai/vllm_chat_stream_error_midstream.sse",
    "openai/tgi_stream_error_midstream_legacy.sse",
    "openai/llamacpp_stream_error_current.sse"
  })
  void should_turn_an_error_inside_a_200_stream_into_a_typed_error_keeping_the_text(String file) {
    server.on("/v1/chat/completions", FakeServer.sse(fixture(file), 5, 0));
    RecordingSink sink = new RecordingSink();

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), sink))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.partialText()).isEqualTo(sink.text()))
        .hasMessageContaining("in the middle of the stream");
  }

  @Test
  void should_read_an_error_field_line_of_older_llamacpp() {
    String stream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\nerror: {\"code\":500,\"message\":\"slot unavailable\"}\n\n";
    server.on("/v1/chat/completions", FakeServer.sse(stream.getBytes(StandardCharsets.UTF_8), 9, 0));

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.partialText()).isEqualTo("Hel"))
        .hasMessageContaining("slot unavailable");
  }

  @Test
  void should_report_a_stream_cut_before_done_with_the_text_so_far() {
    byte[] body = fixture("openai/chat_stream_openai_text_usage.sse");
    server.on("/v1/chat/completions", FakeServer.cut(body, body.length / 3));
    RecordingSink sink = new RecordingSink();

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), sink))
        .isInstanceOfSatisfying(
            BackendException.class,
            e -> {
              assertThat(e.isRetryable()).isTrue();
              assertThat(e.partialText()).isEqualTo(sink.text());
            });
  }

  @Test
  void should_accept_a_last_event_without_a_blank_line_before_eof() {
    String stream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}";
    server.on("/v1/chat/completions", FakeServer.sse(stream.getBytes(StandardCharsets.UTF_8), 4, 0));

    Completion c = adapter().stream(GenerateRequest.of("Hi"), new RecordingSink());

    assertThat(c.text()).isEqualTo("Hi");
    assertThat(c.finishReason()).isEqualTo(FinishReason.STOP);
  }

  @Test
  void should_give_up_on_a_stream_that_goes_silent() {
    byte[] body = fixture("openai/chat_stream_openai_text_usage.sse");
    server.on("/v1/chat/completions", FakeServer.sse(body, body.length / 2, 3_000));

    assertThatThrownBy(() -> adapter(spec().option("idle_timeout", "300ms")).stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("went silent");
  }

  @Test
  void should_give_up_on_a_server_that_does_not_start_answering() {
    server.on("/v1/chat/completions", ex -> {
      java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(3).toNanos());
      FakeServer.send(ex, 200, "application/json", fixture("openai/vllm_chat_completion.json"));
    });

    assertThatThrownBy(() -> adapter(spec().option("first_byte_timeout", "300ms")).stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.isRetryable()).isTrue())
        .hasMessageContaining("did not answer")
        .hasMessageContaining("300 ms");
    assertThatThrownBy(() -> adapter(spec().option("total_timeout", "300ms")).generate(GenerateRequest.of("Hi")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("did not answer");
  }

  @Test
  void should_close_the_connection_when_the_stream_is_cancelled() {
    byte[] body = fixture("openai/chat_stream_openai_text_usage.sse");
    server.on("/v1/chat/completions", FakeServer.sse(body, 40, 100));
    AtomicBoolean cancelled = new AtomicBoolean();
    List<Runnable> onCancel = new ArrayList<>();
    io.modelmux.spi.TokenSink sink =
        new io.modelmux.spi.TokenSink() {
          @Override
          public void accept(String text) {
            if (cancelled.compareAndSet(false, true)) {
              onCancel.forEach(Runnable::run);
            }
          }

          @Override
          public boolean isCancelled() {
            return cancelled.get();
          }

          @Override
          public void onCancel(Runnable action) {
            onCancel.add(action);
          }
        };

    Completion c = adapter().stream(GenerateRequest.of("Hi"), sink);

    assertThat(c.finishReason()).isEqualTo(FinishReason.CANCELLED);
    FakeServer.awaitUntil(() -> server.clientWentAway);
  }

  @Test
  void should_map_401_to_an_authentication_error_without_the_key() {
    server.on("/v1/chat/completions", FakeServer.json(401, "openai/error_401_invalid_api_key_openai.json"));

    assertThatThrownBy(() -> adapter(spec().option("api_key", "sk-VKMIsSECRET")).generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(AuthenticationException.class, e -> assertThat(e.statusCode()).hasValue(401))
        .hasMessageNotContaining("sk-VKMIs")
        .hasMessageContaining("invalid_api_key");
  }

  @Test
  void should_map_an_empty_401_and_a_403() {
    server.on("/v1/chat/completions", FakeServer.body(401, "application/json", new byte[0]));
    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi"))).isInstanceOf(AuthenticationException.class);
    server.on("/v1/chat/completions", FakeServer.json(401, "openai/llamacpp_error_401_invalid_api_key.json"));
    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi"))).isInstanceOf(AuthenticationException.class);
  }

  @ParameterizedTest
  @CsvSource({"openai/error_404_model_not_found_openai.json", "openai/vllm_error_404_model_not_found.json", "openai/ollama_error_404_model_not_found.json"})
  void should_map_404_to_an_unknown_model_on_that_backend(String file) {
    server.on("/v1/chat/completions", FakeServer.json(404, file));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(UnknownModelException.class, e -> assertThat(e.requested()).isEqualTo("served-llama"))
        .hasMessageContaining("does not serve model 'served-llama'");
  }

  @ParameterizedTest
  @CsvSource({
    "400, openai/error_400_context_length_exceeded_openai.json, 4294, 4097",
    "400, openai/vllm_error_400_context_length.json, 5000, 4096",
    "400, openai/llamacpp_error_400_exceed_context_size.json, 40141, 32768"
  })
  void should_map_a_context_length_error_with_its_counts(int status, String file, int prompt, int context) {
    server.on("/v1/chat/completions", FakeServer.json(status, file));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(ContextLengthExceededException.class, e -> {
          assertThat(e.isRetryable()).isFalse();
          assertThat(e).isInstanceOf(InvalidRequestException.class);
          assertThat(e.promptTokens()).hasValue(prompt);
          assertThat(e.contextLength()).hasValue(context);
        })
        .hasMessageContaining("shorten the prompt").hasMessageContaining("on_context_length");
  }

  @Test
  void should_map_a_content_filter_refusal_to_content_filtered() {
    server.on("/v1/chat/completions", FakeServer.body(400, "application/json",
        "{\"error\":{\"message\":\"The response was filtered due to the prompt triggering content management policy.\",\"type\":null,\"param\":\"prompt\",\"code\":\"content_filter\",\"status\":400}}"
            .getBytes(StandardCharsets.UTF_8)));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(ContentFilteredException.class, e -> assertThat(e.isRetryable()).isFalse())
        .hasMessageContaining("content filter");
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"max_failures", "eject_for"})
  void should_say_what_replaced_the_passive_ejection_options(String key) {
    assertThatThrownBy(() -> new OpenAiModelFactory().create(
            ModelSpec.builder("m", "openai").option("base_url", "http://localhost:8000/v1").option(key, "3").build()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(key)
        .hasMessageContaining("each replica now has the model's circuit_breaker");
  }

  @Test
  void should_map_tgi_422_validation_errors() {
    server.on("/v1/chat/completions", FakeServer.body(422, "application/json",
        "{\"error\":\"Input validation error: `max_new_tokens` must be <= 4096\",\"error_type\":\"validation\"}".getBytes(StandardCharsets.UTF_8)));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("max_new_tokens");
  }

  @Test
  void should_map_429_with_its_retry_after() {
    server.on("/v1/chat/completions", ex -> {
      ex.getResponseHeaders().add("retry-after", "19");
      ex.getResponseHeaders().add("retry-after-ms", "18642");
      FakeServer.send(ex, 429, "application/json", fixture("openai/error_429_rate_limit_openai.json"));
    });

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(
            RateLimitedException.class,
            e -> {
              assertThat(e.retryAfter()).contains(Duration.ofMillis(18_642));
              assertThat(e.isRetryable()).isTrue();
            });
  }

  @Test
  void should_map_5xx_to_a_retryable_backend_error() {
    server.on("/v1/chat/completions", FakeServer.json(500, "openai/error_500_server_error_openai.json"));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.isRetryable()).isTrue();
          assertThat(e.statusCode()).hasValue(500);
        });
  }

  @Test
  void should_quote_at_most_200_bytes_of_a_body_that_is_not_json() {
    byte[] html = ("<html>" + "x".repeat(1000) + "</html>").getBytes(StandardCharsets.UTF_8);
    server.on("/v1/chat/completions", FakeServer.body(200, "text/html", html));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("not JSON")
        .hasMessageContaining("<html>" + "x".repeat(194) + "…' (cut: 813 more characters)")
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(400));
  }

  @Test
  void should_refuse_a_json_body_of_the_wrong_shape() {
    server.on("/v1/chat/completions", FakeServer.body(200, "application/json", "{\"id\":\"x\"}".getBytes(StandardCharsets.UTF_8)));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("no choices[0].message.content");
  }

  @Test
  void should_report_a_refused_connection_as_retryable() {
    server.close();

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.isRetryable()).isTrue())
        .hasMessageContaining("is the server up?");
  }

  @Test
  void should_check_health_with_get_models() {
    server.on("/v1/models", FakeServer.json(200, "openai/vllm_models.json"));
    ModelAdapter a = adapter();

    assertThat(a.health().status()).isEqualTo(Health.Status.UP);
    server.close();
    assertThat(a.health().status()).isEqualTo(Health.Status.DOWN);
  }

  @Test
  void should_check_its_options_when_created() {
    assertThatThrownBy(() -> new OpenAiModelFactory().create(ModelSpec.builder("m", "openai").build()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("base_url");
    assertThatThrownBy(() -> new OpenAiModelFactory().create(spec().option("base_url", "localhost:8000").build()))
        .hasMessageContaining("http or https URL");
    assertThatThrownBy(() -> new OpenAiModelFactory().create(spec().option("endpoint", "embeddings").build()))
        .hasMessageContaining("chat or completions");
    assertThatThrownBy(() -> new OpenAiModelFactory().create(spec().option("api_key_env", "MODELMUX_TEST_UNSET_KEY").build()))
        .hasMessageContaining("MODELMUX_TEST_UNSET_KEY, which is not set");
  }
}
