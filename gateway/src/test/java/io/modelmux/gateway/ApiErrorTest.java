package io.modelmux.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.AuthenticationException;
import io.modelmux.BackendException;
import io.modelmux.BackendTimeoutException;
import io.modelmux.CircuitOpenException;
import io.modelmux.ContentFilteredException;
import io.modelmux.ContextLengthExceededException;
import io.modelmux.DeadlineExceededException;
import io.modelmux.InsufficientMemoryException;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelLoadException;
import io.modelmux.ModelMuxException;
import io.modelmux.OverloadedException;
import io.modelmux.RateLimitedException;
import io.modelmux.UnknownModelException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each failure the manager raises answers with one status, type and code (the over-HTTP tests cover the common ones). */
class ApiErrorTest {
  private static void maps(ModelMuxException e, int status, String type, String code) {
    ApiError a = ApiError.of(e, "m");
    assertThat(a.status()).as(e.getClass().getSimpleName()).isEqualTo(status);
    assertThat(a.type()).isEqualTo(type);
    assertThat(a.code()).isEqualTo(code);
    assertThat(a.message()).isEqualTo(e.getMessage());
  }

  @Test
  void should_map_every_failure_to_the_status_a_client_acts_on() {
    maps(new ContextLengthExceededException("too long", "m", 400, 200, 128, null), 400, ApiError.INVALID_REQUEST, "context_length_exceeded");
    maps(new InvalidRequestException("bad", "m", null), 400, ApiError.INVALID_REQUEST, "invalid_request");
    maps(new ContentFilteredException("filtered", "m", null), 400, ApiError.INVALID_REQUEST, "content_filter");
    maps(new RateLimitedException("slow down", "m", 429, null, null), 429, ApiError.RATE_LIMIT, "rate_limit_exceeded");
    maps(new OverloadedException("full", "m", null), 503, ApiError.OVERLOADED, "overloaded");
    maps(new CircuitOpenException("open", "m", Duration.ofSeconds(3)), 503, ApiError.OVERLOADED, "circuit_open");
    maps(new InsufficientMemoryException("too big", "m", 10, 5, 0), 503, ApiError.OVERLOADED, "insufficient_memory");
    maps(new DeadlineExceededException("late", "m", null), 504, ApiError.TIMEOUT, "deadline_exceeded");
    maps(new BackendTimeoutException("silent", "m", "idle_timeout", Duration.ofSeconds(1), null, null), 504, ApiError.TIMEOUT, "upstream_timeout");
    maps(new AuthenticationException("key refused", "m", null), 502, ApiError.UPSTREAM, "upstream_authentication");
    maps(new BackendException("reset", "m", true, null), 502, ApiError.UPSTREAM, "upstream_error");
    maps(new ModelLoadException("cannot load", "m", null), 500, ApiError.SERVER, "model_load_failed");
    maps(new ModelMuxException("other", null), 500, ApiError.SERVER, "internal_error");
  }

  @Test
  void should_answer_404_only_for_the_name_the_caller_gave_and_502_for_a_backend_that_lacks_its_model() {
    UnknownModelException ours = new UnknownModelException("no 'm'", "m", List.of("a"), null);
    UnknownModelException theirs = new UnknownModelException("server has no 'llama'", "llama", List.of(), null);

    assertThat(ApiError.of(ours, "m").status()).isEqualTo(404);
    assertThat(ApiError.of(ours, null).status()).as("no model named: the default was unknown").isEqualTo(404);
    assertThat(ApiError.of(theirs, "m").status()).isEqualTo(502);
    assertThat(ApiError.of(theirs, "m").code()).isEqualTo("upstream_model_not_found");
  }

  @Test
  void should_round_retry_after_up_to_whole_seconds_and_never_to_zero() {
    assertThat(ApiError.of(new CircuitOpenException("open", "m", Duration.ofMillis(1_200)), "m").retryAfterSeconds()).isEqualTo("2");
    assertThat(ApiError.of(new CircuitOpenException("open", "m", Duration.ZERO), "m").retryAfterSeconds()).isEqualTo("1");
    assertThat(ApiError.of(new OverloadedException("full", "m", null), "m").retryAfterSeconds()).isNull();
  }
}
