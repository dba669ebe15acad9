package io.modelmux.gemini;

import io.modelmux.http.testing.FakeServer;
import static io.modelmux.http.testing.FakeServer.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelmux.BackendException;
import io.modelmux.ChatMessage;
import io.modelmux.ContentFilteredException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.InvalidRequestException;
import io.modelmux.Usage;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Health;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.UnknownModelException;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.EchoModelFactory;
import io.modelmux.testing.RecordingSink;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code generateContent}, {@code countTokens} and the health check against a real HTTP server on
 * 127.0.0.1 serving the recorded Gemini fixtures byte for byte; and the request bodies sent.
 */
class GeminiAdapterTest {
  static final String KEY = "AIzaSyTEST-not-a-real-key-0123456789";
  static final String GENERATE = "/v1beta/models/gemini-test:generateContent";
  static final String STREAM = "/v1beta/models/gemini-test:streamGenerateContent";
  static final String COUNT = "/v1beta/models/gemini-test:countTokens";
  static final String MODEL = "/v1beta/models/gemini-test";

  private final ObjectMapper json = new ObjectMapper();
  private FakeServer server;
  private final List<GeminiAdapter> adapters = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = new FakeServer();
  }

  @AfterEach
  void stop() {
    adapters.forEach(GeminiAdapter::close);
    server.close();
  }

  private ModelSpec.Builder spec() {
    return ModelSpec.builder("flash", "gemini")
        .option("base_url", server.root())
        .option("model", "gemini-test")
        .option("api_key", KEY);
  }

  private GeminiAdapter adapter(ModelSpec.Builder spec) {
    GeminiAdapter a = (GeminiAdapter) new GeminiModelFactory(name -> null).create(spec.build());
    adapters.add(a);
    a.load();
    return a;
  }

  private GeminiAdapter adapter() {
    return adapter(spec());
  }

  private JsonNode sent(int i) throws Exception {
    return json.readTree(server.bodies.get(i));
  }

  // ---- request bodies ----------------------------------------------------------------------------

  @Test
  void should_send_a_conversation_as_the_cookbook_does_with_roles_system_instruction_and_generation_config() throws Exception {
    server.on(GENERATE, FakeServer.json(200, "gemini/generate_content_response_stop.json"));
    ObjectNode expected = (ObjectNode) json.readTree(fixture("gemini/generate_content_request.json"));
    expected.remove("safetySettings"); // not a ModelMux option
    JsonNode turns = expected.path("contents");

    adapter()
        .generate(
            GenerateRequest.builder()
                .message(ChatMessage.system(expected.path("systemInstruction").path("parts").get(0).path("text").asText()))
                .message(ChatMessage.user(turns.get(0).path("parts").get(0).path("text").asText()))
                .message(ChatMessage.assistant(turns.get(1).path("parts").get(0).path("text").asText()))
                .message(ChatMessage.user(turns.get(2).path("parts").get(0).path("text").asText()))
                .stop("Title").temperature(0.9).topP(0.95).topK(40).maxTokens(2000)
                .build());

    assertThat(sent(0)).isEqualTo(expected);
  }

  @Test
  void should_send_a_plain_prompt_as_one_user_content_without_an_empty_generation_config() throws Exception {
    server.on(GENERATE, FakeServer.json(200, "gemini/generate_content_response_stop.json"));
    GenerateRequest request = GenerateRequest.of("The quick brown fox jumps over the lazy dog.");

    adapter().generate(request);

    assertThat(sent(0)).isEqualTo(json.readTree(fixture("gemini/count_tokens_request.json")));
    assertThat(sent(0).has("generationConfig")).isFalse();
    assertThat(sent(0).has("systemInstruction")).isFalse();
  }

  @Test
  void should_merge_consecutive_turns_of_one_role_and_gather_every_system_message_into_the_system_instruction() throws Exception {
    server.on(GENERATE, FakeServer.json(200, "gemini/generate_content_response_stop.json"));

    adapter()
        .generate(
            GenerateRequest.builder()
                .message(ChatMessage.system("Be brief."))
                .message(ChatMessage.user("Hi"))
                .message(ChatMessage.user("Are you there?"))
                .message(ChatMessage.system("Answer in French."))
                .message(ChatMessage.assistant("Oui."))
                .message(ChatMessage.user("Why?"))
                .build());

    JsonNode body = sent(0);
    assertThat(body.path("systemInstruction"))
        .isEqualTo(json.readTree("{\"parts\":[{\"text\":\"Be brief.\"},{\"text\":\"Answer in French.\"}]}"));
    assertThat(body.path("contents"))
        .isEqualTo(
            json.readTree(
                "[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"},{\"text\":\"Are you there?\"}]},"
                    + "{\"role\":\"model\",\"parts\":[{\"text\":\"Oui.\"}]},"
                    + "{\"role\":\"user\",\"parts\":[{\"text\":\"Why?\"}]}]"));
  }

  @Test
  void should_send_the_seed_and_refuse_one_that_does_not_fit_geminis_32_bits() throws Exception {
    server.on(GENERATE, FakeServer.json(200, "gemini/generate_content_response_stop.json"));
    GeminiAdapter a = adapter();

    a.generate(GenerateRequest.builder().prompt("Hi").seed(42).build());

    assertThat(sent(0).path("generationConfig")).isEqualTo(json.readTree("{\"seed\":42}"));
    assertThatThrownBy(() -> a.generate(GenerateRequest.builder().prompt("Hi").seed(1L << 40).build()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("model 'flash'")
        .hasMessageContaining("32-bit");
    assertThat(server.requests.get()).isEqualTo(1);
  }

  @Test
  void should_refuse_a_conversation_of_system_messages_alone_before_calling_gemini() {
    GeminiAdapter a = adapter();

    assertThatThrownBy(() -> a.generate(GenerateRequest.builder().message(ChatMessage.system("Be brief.")).build()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("no user or assistant message");
    assertThat(server.requests.get()).isZero();
  }

  @Test
  void should_send_the_key_only_in_the_x_goog_api_key_header() {
    server.on(GENERATE, FakeServer.json(200, "gemini/generate_content_response_stop.json"));
    server.on(STREAM, FakeServer.sse(fixture("gemini/stream_generate_content.sse"), 512, 0));
    server.on(COUNT, FakeServer.json(200, "gemini/count_tokens_response.json"));
    server.on(MODEL, FakeServer.body(200, "application/json", "{\"name\":\"models/gemini-test\"}"));
    GeminiAdapter a = adapter();

    a.generate(GenerateRequest.of("Hi"));
    a.stream(GenerateRequest.of("Hi"), new RecordingSink());
    a.countTokens(GenerateRequest.of("Hi"));
    a.health();

    assertThat(server.methods).containsExactly("POST", "POST", "POST", "GET");
    assertThat(server.uris)
        .extracting(u -> u.getPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery()))
        .containsExactly(GENERATE, STREAM + "?alt=sse", COUNT, MODEL);
    for (int i = 0; i < 4; i++) {
      assertThat(server.headers.get(i).get("X-goog-api-key")).containsExactly(KEY);
      assertThat(server.headers.get(i).keySet()).doesNotContain("Authorization");
      assertThat(server.uris.get(i).toString()).doesNotContain(KEY).doesNotContain("key=");
      assertThat(server.bodies.get(i)).doesNotContain(KEY);
    }
    assertThat(server.headers.get(1).get("Accept")).containsExactly("text/event-stream");
  }

  // ---- responses -----------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    "gemini/generate_content_response_stop.json,                 STOP,   9,   21, gemini-2.5-flash",
    "gemini/generate_content_response_max_tokens_thinking.json,  LENGTH, 7,  197, gemini-2.5-flash",
    "gemini/generate_content_response_thought_part.json,         LENGTH, 17,  19, gemini-2.0-flash-thinking-exp-01-21",
    "gemini/generate_content_response_legacy_safety_ratings.json, STOP,  9,   87, ",
  })
  void should_read_each_recorded_response(String file, FinishReason finish, long prompt, long completion, String version)
      throws Exception {
    server.on(GENERATE, FakeServer.json(200, file));
    JsonNode parts = json.readTree(fixture(file)).path("candidates").get(0).path("content").path("parts");
    StringBuilder expected = new StringBuilder();
    parts.forEach(p -> expected.append(p.path("thought").asBoolean() ? "" : p.path("text").asText()));

    Completion c = adapter().generate(GenerateRequest.of("Hi"));

    assertThat(c.text()).isEqualTo(expected.toString());
    assertThat(c.finishReason()).isEqualTo(finish);
    assertThat(c.usage()).contains(new Usage(prompt, completion));
    assertThat(c.backendModel().orElse(null)).isEqualTo(version);
  }

  @Test
  void should_leave_thought_parts_out_of_the_text() {
    server.on(GENERATE, FakeServer.json(200, "gemini/generate_content_response_thought_part.json"));

    Completion c = adapter().generate(GenerateRequest.of("What is the sum of the first 50 natural numbers?"));

    assertThat(c.text()).isEmpty();
    assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void should_turn_a_blocked_prompt_into_a_content_filtered_error_naming_the_reason() {
    server.on(GENERATE, FakeServer.json(200, "gemini/generate_content_prompt_blocked_safety.json"));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(ContentFilteredException.class, e -> assertThat(e.isRetryable()).isFalse())
        .hasMessageContaining("blocked the prompt to model 'flash'")
        .hasMessageContaining("blockReason SAFETY")
        .hasMessageContaining("HARM_CATEGORY_HARASSMENT MEDIUM");
  }

  @Test
  void should_turn_a_safety_stop_without_content_into_a_content_filtered_error() {
    server.on(GENERATE, FakeServer.json(200, "gemini/generate_content_candidate_finish_safety.json"));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOf(ContentFilteredException.class)
        .hasMessageContaining("finishReason SAFETY")
        .hasMessageContaining("HARM_CATEGORY_SEXUALLY_EXPLICIT HIGH");
  }

  @Test
  void should_keep_the_text_of_an_answer_stopped_for_recitation_after_some_text() {
    server.on(GENERATE, FakeServer.body(200, "application/json",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Four score\"}],\"role\":\"model\"},\"finishReason\":\"RECITATION\"}]}"));

    Completion c = adapter().generate(GenerateRequest.of("Hi"));

    assertThat(c.text()).isEqualTo("Four score");
    assertThat(c.finishReason()).isEqualTo(FinishReason.CONTENT_FILTER);
  }

  @ParameterizedTest
  @CsvSource({
    "STOP, STOP", "MAX_TOKENS, LENGTH", "SAFETY, CONTENT_FILTER", "RECITATION, CONTENT_FILTER",
    "BLOCKLIST, CONTENT_FILTER", "PROHIBITED_CONTENT, CONTENT_FILTER", "SPII, CONTENT_FILTER",
    "IMAGE_SAFETY, CONTENT_FILTER", "LANGUAGE, OTHER", "MALFORMED_FUNCTION_CALL, OTHER", "OTHER, OTHER",
    "SOMETHING_NEW, OTHER"
  })
  void should_map_each_finish_reason(String gemini, FinishReason expected) {
    assertThat(GeminiWireFormat.finishReason(gemini)).isEqualTo(expected);
  }

  @Test
  void should_ignore_fields_it_does_not_know() {
    server.on(GENERATE, FakeServer.body(200, "application/json",
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\",\"thoughtSignature\":\"c2ln\"},"
            + "{\"functionCall\":{\"name\":\"f\",\"args\":{}}}],\"role\":\"model\"},\"finishReason\":\"STOP\","
            + "\"citationMetadata\":{\"citationSources\":[]},\"avgLogprobs\":-0.1}],"
            + "\"usageMetadata\":{\"promptTokenCount\":2,\"cachedContentTokenCount\":0,\"toolUsePromptTokenCount\":1},"
            + "\"someFutureField\":[1,2,3]}"));

    Completion c = adapter().generate(GenerateRequest.of("Hi"));

    assertThat(c.text()).isEqualTo("Hi");
    assertThat(c.usage()).contains(new Usage(2, 0));
  }

  @Test
  void should_refuse_a_json_body_without_candidates() {
    server.on(GENERATE, FakeServer.body(200, "application/json", "{\"usageMetadata\":{\"promptTokenCount\":2}}"));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.isRetryable()).isFalse())
        .hasMessageContaining("without candidates");
  }

  // ---- countTokens and health ----------------------------------------------------------------------

  @Test
  void should_count_tokens_with_the_count_tokens_endpoint() throws Exception {
    server.on(COUNT, FakeServer.json(200, "gemini/count_tokens_response.json"));

    int tokens = adapter().countTokens(GenerateRequest.of("The quick brown fox jumps over the lazy dog."));

    assertThat(tokens).isEqualTo(11);
    assertThat(sent(0)).isEqualTo(json.readTree(fixture("gemini/count_tokens_request.json")));
  }

  @Test
  void should_count_the_system_instruction_through_the_generate_content_request_form() throws Exception {
    server.on(COUNT, FakeServer.json(200, "gemini/count_tokens_response.json"));

    adapter().countTokens(GenerateRequest.builder().message(ChatMessage.system("Be brief.")).message(ChatMessage.user("Hi")).build());

    JsonNode inner = sent(0).path("generateContentRequest");
    assertThat(sent(0).has("contents")).isFalse();
    assertThat(inner.path("model").asText()).isEqualTo("models/gemini-test");
    assertThat(inner.path("systemInstruction").path("parts").get(0).path("text").asText()).isEqualTo("Be brief.");
    assertThat(inner.path("contents").get(0).path("role").asText()).isEqualTo("user");
  }

  @Test
  void should_map_count_tokens_errors_like_generate_errors() {
    server.on(COUNT, FakeServer.json(404, "gemini/error_404_not_found.json"));

    assertThatThrownBy(() -> adapter().countTokens(GenerateRequest.of("Hi")))
        .isInstanceOf(UnknownModelException.class);
  }

  @Test
  void should_offer_count_tokens_publicly_through_the_factory_for_gemini_adapters_only() {
    server.on(COUNT, FakeServer.json(200, "gemini/count_tokens_response.json"));
    GeminiAdapter a = adapter();

    assertThat(GeminiModelFactory.countTokens(a, GenerateRequest.of("The quick brown fox jumps over the lazy dog."))).isEqualTo(11);
    ModelAdapter echo = new EchoModelFactory().create(ModelSpec.builder("echo", "echo").build());
    assertThatThrownBy(() -> GeminiModelFactory.countTokens(echo, GenerateRequest.of("Hi")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Gemini adapter");
  }

  @Test
  void should_check_health_with_get_model_without_spending_tokens() {
    server.on(MODEL, FakeServer.body(200, "application/json", "{\"name\":\"models/gemini-test\"}"));
    GeminiAdapter a = adapter();

    assertThat(a.health().status()).isEqualTo(Health.Status.UP);
    server.on(MODEL, FakeServer.json(404, "gemini/error_404_not_found.json"));
    assertThat(a.health()).satisfies(h -> {
      assertThat(h.status()).isEqualTo(Health.Status.DOWN);
      assertThat(h.detail()).contains("404").doesNotContain(KEY);
    });
    server.close();
    assertThat(a.health().status()).isEqualTo(Health.Status.DOWN);
    assertThat(server.methods).containsOnly("GET");
  }

  @Test
  void should_report_unknown_health_before_load() {
    GeminiAdapter a = (GeminiAdapter) new GeminiModelFactory(name -> null).create(spec().build());
    adapters.add(a);

    assertThat(a.health().status()).isEqualTo(Health.Status.UNKNOWN);
    assertThat(server.requests.get()).isZero();
  }

  // ---- transport -----------------------------------------------------------------------------------

  @Test
  void should_give_up_on_a_server_that_does_not_answer_within_the_total_timeout() {
    server.on(GENERATE, ex -> {
      LockSupport.parkNanos(Duration.ofSeconds(3).toNanos());
      FakeServer.send(ex, 200, "application/json", fixture("gemini/generate_content_response_stop.json"));
    });

    assertThatThrownBy(() -> adapter(spec().option("total_timeout", "300ms")).generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.isRetryable()).isTrue())
        .hasMessageContaining("did not answer")
        .hasMessageContaining("300 ms");
  }

  @Test
  void should_report_a_refused_connection_as_retryable() {
    server.close();

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.isRetryable()).isTrue())
        .hasMessageContaining("is the server up?")
        .hasMessageNotContaining(KEY);
  }

  @Test
  void should_refuse_requests_before_load_and_after_close() {
    GeminiAdapter a = (GeminiAdapter) new GeminiModelFactory(name -> null).create(spec().build());

    assertThatThrownBy(() -> a.countTokens(GenerateRequest.of("Hi"))).isInstanceOf(IllegalStateException.class);
    a.load();
    a.close();
    assertThatThrownBy(() -> a.countTokens(GenerateRequest.of("Hi"))).isInstanceOf(IllegalStateException.class);
    assertThat(a.toString()).doesNotContain(KEY);
  }
}
