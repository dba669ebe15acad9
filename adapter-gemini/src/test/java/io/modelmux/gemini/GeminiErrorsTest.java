package io.modelmux.gemini;

import io.modelmux.http.testing.FakeServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.AuthenticationException;
import io.modelmux.BackendException;
import io.modelmux.GenerateRequest;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelMuxException;
import io.modelmux.RateLimitedException;
import io.modelmux.UnknownModelException;
import io.modelmux.spi.ModelSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Gemini's error answers, recorded and written out, mapped to ModelMux's exceptions over HTTP. */
class GeminiErrorsTest {
  static final String KEY = GeminiAdapterTest.KEY;
  static final String GENERATE = GeminiAdapterTest.GENERATE;

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

  private GeminiAdapter adapter() {
    GeminiAdapter a =
        (GeminiAdapter)
            new GeminiModelFactory(name -> name.equals("GEMINI_API_KEY") ? KEY : null)
                .create(
                    ModelSpec.builder("flash", "gemini").option("base_url", server.root()).option("model", "gemini-test").build());
    adapters.add(a);
    a.load();
    return a;
  }

  private ModelMuxException failure(int status, String body) {
    server.on(GENERATE, FakeServer.body(status, "application/json", body));
    try {
      adapter().generate(GenerateRequest.of("Hi"));
    } catch (ModelMuxException e) {
      assertThat(e.getMessage()).doesNotContain(KEY).contains("model 'flash'");
      return e;
    }
    throw new AssertionError("HTTP " + status + " did not fail");
  }

  private static String error(int code, String status, String message) {
    return "{\n  \"error\": {\n    \"code\": " + code + ",\n    \"message\": \"" + message + "\",\n    \"status\": \"" + status
        + "\"\n  }\n}\n";
  }

  @Test
  void should_map_the_invalid_api_key_400_to_an_authentication_error_naming_where_the_key_came_from() {
    server.on(GENERATE, FakeServer.json(400, "gemini/error_400_api_key_invalid.json"));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(AuthenticationException.class, e -> {
          assertThat(e.statusCode()).hasValue(400);
          assertThat(e.isRetryable()).isFalse();
        })
        .hasMessageContaining("API_KEY_INVALID")
        .hasMessageContaining("environment variable GEMINI_API_KEY")
        .hasMessageNotContaining(KEY);
  }

  @Test
  void should_map_permission_denied_and_unauthenticated_to_authentication_errors() {
    server.on(GENERATE, FakeServer.json(403, "gemini/error_403_permission_denied.json"));
    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(AuthenticationException.class, e -> assertThat(e.statusCode()).hasValue(403))
        .hasMessageContaining("PERMISSION_DENIED, API_KEY_SERVICE_BLOCKED");

    assertThat(failure(401, error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")))
        .isInstanceOf(AuthenticationException.class);
  }

  @Test
  void should_map_not_found_to_an_unknown_model_naming_the_gemini_model() {
    server.on(GENERATE, FakeServer.json(404, "gemini/error_404_not_found.json"));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(UnknownModelException.class, e -> assertThat(e.requested()).isEqualTo("gemini-test"))
        .hasMessageContaining("does not serve 'gemini-test' for model 'flash'")
        .hasMessageContaining("/v1beta/models");
  }

  @Test
  void should_map_resource_exhausted_to_rate_limited_with_the_retry_info_delay() {
    server.on(GENERATE, FakeServer.json(429, "gemini/error_429_resource_exhausted.json"));

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(RateLimitedException.class, e -> {
          assertThat(e.retryAfter()).contains(Duration.ofSeconds(26));
          assertThat(e.isRetryable()).isTrue();
          assertThat(e.statusCode()).hasValue(429);
        })
        .hasMessageContaining("GenerateContentInputTokensPerModelPerMinute-FreeTier")
        .hasMessageContaining("retry after 26000 ms");
  }

  @Test
  void should_fall_back_to_retry_after_when_resource_exhausted_has_no_retry_info() {
    server.on(GENERATE, ex -> {
      ex.getResponseHeaders().add("Retry-After", "7");
      FakeServer.send(ex, 429, "application/json",
          error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).").getBytes(StandardCharsets.UTF_8));
    });

    assertThatThrownBy(() -> adapter().generate(GenerateRequest.of("Hi")))
        .isInstanceOfSatisfying(RateLimitedException.class, e -> assertThat(e.retryAfter()).contains(Duration.ofSeconds(7)));
  }

  @ParameterizedTest
  @CsvSource({"31s, 31000000000", "0.5s, 500000000", "1.000340s, 1000340000", "0s, 0"})
  void should_parse_retry_delays_in_whole_and_fractional_seconds(String delay, long nanos) {
    assertThat(GeminiErrors.parseDuration(delay)).isEqualTo(Duration.ofNanos(nanos));
  }

  @ParameterizedTest
  @CsvSource({"31", "-1s", "s", "soon"})
  void should_ignore_retry_delays_it_cannot_read(String delay) {
    assertThat(GeminiErrors.parseDuration(delay)).isNull();
  }

  @Test
  void should_map_invalid_argument_and_failed_precondition_to_invalid_requests() {
    assertThat(failure(400, error(400, "INVALID_ARGUMENT", "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).")))
        .isInstanceOfSatisfying(io.modelmux.ContextLengthExceededException.class, e -> {
          assertThat(e.isRetryable()).isFalse();
          assertThat(e.promptTokens()).hasValue(1_200_000);
          assertThat(e.contextLength()).hasValue(1_048_576);
        })
        .hasMessageContaining("exceeds the maximum")
        .hasMessageContaining("shorten the prompt");
    assertThat(failure(400, error(400, "FAILED_PRECONDITION", "User location is not supported for the API use.")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("User location is not supported");
  }

  @ParameterizedTest
  @CsvSource({
    "503, UNAVAILABLE, The model is overloaded. Please try again later.",
    "500, INTERNAL, An internal error has occurred.",
    "504, DEADLINE_EXCEEDED, Deadline expired before operation could complete.",
    "502, '', Bad gateway"
  })
  void should_map_unavailable_internal_deadline_exceeded_and_5xx_to_retryable_backend_errors(int code, String status, String message) {
    assertThat(failure(code, error(code, status, message)))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.isRetryable()).isTrue();
          assertThat(e.statusCode()).hasValue(code);
        })
        .hasMessageContaining(message);
  }

  @Test
  void should_quote_at_most_200_bytes_of_a_body_that_is_not_json() {
    ModelMuxException e = failure(502, "<html>" + "x".repeat(1000) + "</html>");

    assertThat(e).isInstanceOfSatisfying(BackendException.class, b -> assertThat(b.isRetryable()).isTrue());
    assertThat(e.getMessage()).contains("'<html>xxx").contains("(cut: 813 more characters)");
    String quoted = e.getMessage().substring(e.getMessage().indexOf("'<html>") + 1, e.getMessage().indexOf("…'"));
    assertThat(quoted.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(200);
  }

  @Test
  void should_hide_the_key_when_a_proxy_echoes_it_in_an_error() {
    assertThat(failure(400, error(400, "INVALID_ARGUMENT", "bad header x-goog-api-key: " + KEY)))
        .hasMessageContaining(io.modelmux.spi.Secrets.MASK);
    assertThat(failure(502, "x".repeat(190) + KEY + "y".repeat(500)))
        .hasMessageNotContaining(KEY.substring(0, 10));
  }

  @Test
  void should_read_an_error_object_inside_a_json_array() {
    assertThat(failure(503, "[" + error(503, "UNAVAILABLE", "overloaded") + "]"))
        .isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.isRetryable()).isTrue())
        .hasMessageContaining("UNAVAILABLE: 'overloaded'");
  }

  @Test
  void should_map_bare_statuses_without_a_google_error_body() {
    assertThat(failure(401, "")).isInstanceOf(AuthenticationException.class);
    assertThat(failure(404, "")).isInstanceOf(UnknownModelException.class);
    assertThat(failure(429, "")).isInstanceOf(RateLimitedException.class);
    assertThat(failure(413, "")).isInstanceOf(InvalidRequestException.class);
    assertThat(failure(501, "")).isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.isRetryable()).isTrue());
    assertThat(failure(418, "")).isInstanceOfSatisfying(BackendException.class, e -> assertThat(e.isRetryable()).isFalse());
  }
}
