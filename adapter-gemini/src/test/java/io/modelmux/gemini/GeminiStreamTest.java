package io.modelmux.gemini;

import io.modelmux.http.testing.FakeServer;
import static io.modelmux.http.testing.FakeServer.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.AuthenticationException;
import io.modelmux.BackendException;
import io.modelmux.ContentFilteredException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.RateLimitedException;
import io.modelmux.UnknownModelException;
import io.modelmux.Usage;
import io.modelmux.spi.Completion;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.TokenSink;
import io.modelmux.testing.RecordingSink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code streamGenerateContent?alt=sse} as Gemini really sends it: CRLF separators, no {@code
 * [DONE]}, running usage, repeated finish reasons, errors as plain JSON, safety stops, cuts.
 */
class GeminiStreamTest {
  static final String KEY = GeminiAdapterTest.KEY;
  static final String STREAM = GeminiAdapterTest.STREAM;
  static final String TRANSCRIPT = "gemini/stream_generate_content.sse";

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

  /** The texts of the transcript's events, in order. */
  private List<String> transcriptPieces() throws Exception {
    List<String> pieces = new ArrayList<>();
    for (String block : new String(fixture(TRANSCRIPT), StandardCharsets.UTF_8).split("\r\n\r\n")) {
      JsonNode chunk = json.readTree(block.substring("data: ".length()));
      pieces.add(chunk.path("candidates").get(0).path("content").path("parts").get(0).path("text").asText());
    }
    return pieces;
  }

  private static String event(String json) {
    return "data: " + json + "\r\n\r\n";
  }

  private static String chunk(String text, String finishReason, int candidatesTokens) {
    return event(
        "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"" + text + "\"}],\"role\":\"model\"},"
            + (finishReason == null ? "" : "\"finishReason\":\"" + finishReason + "\",") + "\"index\":0}],"
            + "\"usageMetadata\":{\"promptTokenCount\":4,\"candidatesTokenCount\":" + candidatesTokens + "}}");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 64, 100_000})
  void should_stream_the_recorded_transcript_split_into_chunks_of_any_size(int chunkSize) throws Exception {
    server.on(STREAM, FakeServer.sse(fixture(TRANSCRIPT), chunkSize, 0));
    RecordingSink sink = new RecordingSink();

    Completion c = adapter().stream(GenerateRequest.of("why is the sky blue?"), sink);

    assertThat(sink.pieces).containsExactlyElementsOf(transcriptPieces());
    assertThat(c.text()).isEqualTo(String.join("", transcriptPieces()));
    assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(c.usage()).as("the last running total, thoughts included").contains(new Usage(7, 153 + 45));
    assertThat(c.backendModel()).contains("gemini-2.5-flash");
  }

  @Test
  void should_join_events_whose_crlf_separators_are_split_across_reads() throws Exception {
    server.on(STREAM, FakeServer.sseSplitAfterEachCr(fixture(TRANSCRIPT), 15));
    RecordingSink sink = new RecordingSink();

    Completion c = adapter().stream(GenerateRequest.of("Hi"), sink);

    assertThat(sink.pieces).containsExactlyElementsOf(transcriptPieces());
    assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
  }

  @Test
  void should_take_the_last_finish_reason_and_usage_when_older_models_repeat_them_on_every_chunk() {
    server.on(STREAM, FakeServer.sse(chunk("One", "STOP", 1) + chunk(" two", "STOP", 2) + chunk(" three", "MAX_TOKENS", 3), 5));

    Completion c = adapter().stream(GenerateRequest.of("Hi"), new RecordingSink());

    assertThat(c.text()).isEqualTo("One two three");
    assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(c.usage()).contains(new Usage(4, 3));
  }

  @Test
  void should_leave_thought_parts_and_unknown_fields_out_of_the_stream() {
    String stream =
        event("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Let me think\",\"thought\":true}],\"role\":\"model\"}}],"
            + "\"newField\":{\"x\":1}}")
            + ": a comment line\r\n\r\n"
            + event("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Blue\",\"thoughtSignature\":\"c2ln\"}]},"
                + "\"finishReason\":\"STOP\",\"avgLogprobs\":-0.2}],\"usageMetadata\":{\"promptTokenCount\":2,"
                + "\"candidatesTokenCount\":1,\"thoughtsTokenCount\":9}}");
    server.on(STREAM, FakeServer.sse(stream, 11));
    RecordingSink sink = new RecordingSink();

    Completion c = adapter().stream(GenerateRequest.of("Hi"), sink);

    assertThat(sink.pieces).containsExactly("Blue");
    assertThat(c.text()).isEqualTo("Blue");
    assertThat(c.usage()).contains(new Usage(2, 10));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "\"content\":{},"})
  void should_end_a_stream_stopped_for_safety_after_some_text_with_content_filter_and_that_text(String content) {
    String stream =
        chunk("Once upon", null, 2)
            + event("{\"candidates\":[{" + content + "\"finishReason\":\"SAFETY\",\"index\":0,\"safetyRatings\":"
                + "[{\"category\":\"HARM_CATEGORY_DANGEROUS_CONTENT\",\"probability\":\"HIGH\",\"blocked\":true}]}]}");
    server.on(STREAM, FakeServer.sse(stream, 9));
    RecordingSink sink = new RecordingSink();

    Completion c = adapter().stream(GenerateRequest.of("Hi"), sink);

    assertThat(c.finishReason()).isEqualTo(FinishReason.CONTENT_FILTER);
    assertThat(c.text()).isEqualTo("Once upon").isEqualTo(sink.text());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "\"content\":{},"})
  void should_turn_a_stream_stopped_for_safety_before_any_text_into_a_content_filtered_error(String content) {
    server.on(STREAM, FakeServer.sse(event("{\"candidates\":[{" + content + "\"finishReason\":\"RECITATION\",\"index\":0}]}"), 4));

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOf(ContentFilteredException.class)
        .hasMessageContaining("finishReason RECITATION");
  }

  @Test
  void should_turn_a_blocked_prompt_in_a_stream_into_a_content_filtered_error() throws Exception {
    String blocked = json.readTree(fixture("gemini/generate_content_prompt_blocked_safety.json")).toString();
    server.on(STREAM, FakeServer.sse(event(blocked), 16));

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOf(ContentFilteredException.class)
        .hasMessageContaining("blockReason SAFETY");
  }

  @Test
  void should_read_the_not_found_error_sent_as_plain_json_labelled_event_stream() {
    server.on(STREAM, FakeServer.body(404, "text/event-stream", fixture("gemini/error_404_not_found.json")));

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOfSatisfying(UnknownModelException.class, e -> assertThat(e.requested()).isEqualTo("gemini-test"))
        .hasMessageContaining("model 'flash'")
        .hasMessageContaining("models/custom-gemini-2.0-flash is not found");
  }

  @Test
  void should_read_an_error_wrapped_in_a_json_array_on_the_streaming_endpoint() {
    byte[] wrapped = ("[" + new String(fixture("gemini/error_429_resource_exhausted.json"), StandardCharsets.UTF_8) + "]")
        .getBytes(StandardCharsets.UTF_8);
    server.on(STREAM, FakeServer.body(429, "text/event-stream", wrapped));

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOfSatisfying(RateLimitedException.class, e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(26)));
  }

  @Test
  void should_read_a_pretty_printed_error_body_sent_with_status_200_instead_of_events() {
    byte[] wrapped = ("[" + new String(fixture("gemini/error_403_permission_denied.json"), StandardCharsets.UTF_8) + "]")
        .getBytes(StandardCharsets.UTF_8);
    server.on(STREAM, FakeServer.sse(wrapped, 13, 0));

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOfSatisfying(AuthenticationException.class, e -> assertThat(e.statusCode()).hasValue(403))
        .hasMessageContaining("API_KEY_SERVICE_BLOCKED")
        .hasMessageNotContaining(KEY);
  }

  @Test
  void should_read_whole_responses_a_proxy_sends_as_a_json_array() {
    String array =
        "[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}]}}]},"
            + "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo\"}]},\"finishReason\":\"STOP\"}]}]";
    server.on(STREAM, FakeServer.body(200, "application/json", array));
    RecordingSink sink = new RecordingSink();

    Completion c = adapter().stream(GenerateRequest.of("Hi"), sink);

    assertThat(sink.pieces).containsExactly("Hel", "lo");
    assertThat(c.finishReason()).isEqualTo(FinishReason.STOP);
  }

  @Test
  void should_keep_the_text_when_an_error_event_comes_in_the_middle_of_the_stream() {
    String stream =
        chunk("Hel", null, 1)
            + event("{\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}");
    server.on(STREAM, FakeServer.sse(stream, 6));
    RecordingSink sink = new RecordingSink();

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), sink))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.partialText()).isEqualTo("Hel").isEqualTo(sink.text());
          assertThat(e.isRetryable()).isTrue();
          assertThat(e.statusCode()).hasValue(503);
        })
        .hasMessageContaining("in the middle of the stream")
        .hasMessageContaining("overloaded");
  }

  @Test
  void should_report_a_connection_cut_mid_stream_as_retryable_with_the_text_so_far() {
    byte[] body = fixture(TRANSCRIPT);
    server.on(STREAM, FakeServer.cut(body, body.length / 2));
    RecordingSink sink = new RecordingSink();

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), sink))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.isRetryable()).isTrue();
          assertThat(e.partialText()).isNotEmpty().isEqualTo(sink.text());
        });
  }

  @Test
  void should_report_a_stream_that_closes_before_a_finish_reason_as_cut() {
    server.on(STREAM, FakeServer.sse(chunk("Hel", null, 1) + chunk("lo", null, 2), 8));
    RecordingSink sink = new RecordingSink();

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), sink))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.isRetryable()).isTrue();
          assertThat(e.partialText()).isEqualTo("Hello");
        })
        .hasMessageContaining("ended before a finish reason");
  }

  @Test
  void should_quote_a_body_that_is_neither_events_nor_json() {
    server.on(STREAM, FakeServer.body(200, "text/html", "<html>" + "x".repeat(1000) + "</html>"));

    assertThatThrownBy(() -> adapter().stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOf(BackendException.class)
        .hasMessageContaining("not a Gemini stream")
        .hasMessageContaining("<html>xxx")
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(500));
  }

  @Test
  void should_close_the_connection_when_the_stream_is_cancelled() {
    server.on(STREAM, FakeServer.sse(fixture(TRANSCRIPT), 40, 100));
    AtomicBoolean cancelled = new AtomicBoolean();
    List<Runnable> onCancel = new ArrayList<>();
    List<String> pieces = new ArrayList<>();
    TokenSink sink =
        new TokenSink() {
          @Override
          public void accept(String text) {
            pieces.add(text);
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
    assertThat(pieces).hasSize(1);
    assertThat(c.text()).isEqualTo(pieces.get(0));
    FakeServer.awaitUntil(() -> server.clientWentAway);
  }

  @Test
  void should_give_up_on_a_stream_that_goes_silent() {
    byte[] body = fixture(TRANSCRIPT);
    server.on(STREAM, FakeServer.sse(body, body.length / 2, 3_000));

    assertThatThrownBy(() -> adapter(spec().option("idle_timeout", "300ms")).stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.isRetryable()).isTrue();
          assertThat(e.partialText()).isNotEmpty();
        })
        .hasMessageContaining("went silent");
  }

  @Test
  void should_give_up_on_a_stream_that_does_not_start_within_the_first_byte_timeout() {
    server.on(STREAM, ex -> {
      LockSupport.parkNanos(Duration.ofSeconds(3).toNanos());
      FakeServer.send(ex, 200, "text/event-stream", fixture(TRANSCRIPT));
    });

    assertThatThrownBy(() -> adapter(spec().option("first_byte_timeout", "300ms")).stream(GenerateRequest.of("Hi"), new RecordingSink()))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.isRetryable()).isTrue())
        .hasMessageContaining("did not answer")
        .hasMessageContaining("300 ms");
  }
}
