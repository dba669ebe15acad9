package io.modelmux.internal.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.BreakerPolicy;
import io.modelmux.ConfigException;
import io.modelmux.ModelMuxConfig;
import io.modelmux.RetryPolicy;
import io.modelmux.spi.ModelSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The guard's keys of a model in {@code models.yaml}: read into typed values, or refused at file:line. */
class GuardConfigTest {
  private static ModelSpec only(String modelLine) {
    return ModelMuxConfig.parse("models:\n  - " + modelLine + "\n", "models.yaml", n -> null).models().get(0);
  }

  private static ConfigException errorOf(String modelLine) {
    try {
      only(modelLine);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("no error for " + modelLine);
  }

  @Test
  void should_read_every_guard_key() {
    ModelSpec spec = only(
        "{id: a, type: echo, max_concurrency: 4, max_queue: 10, queue_timeout: 2s,"
            + " retry: {max_attempts: 5, backoff: 100ms, max_backoff: 10s},"
            + " circuit_breaker: {failure_rate: 40%, window: 10, minimum_calls: 3, open_for: 1m}}");

    assertThat(spec.maxConcurrency()).hasValue(4);
    assertThat(spec.maxQueue()).isEqualTo(10);
    assertThat(spec.queueTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(spec.retry()).isEqualTo(
        RetryPolicy.builder().maxAttempts(5).backoff(Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(10)).build());
    assertThat(spec.circuitBreaker()).isEqualTo(
        BreakerPolicy.builder().failureRate(40).window(10).minimumCalls(3).openFor(Duration.ofMinutes(1)).build());
    assertThat(spec.options()).as("the guard's keys are not backend options").isEmpty();
  }

  @Test
  void should_use_the_defaults_when_nothing_is_written() {
    ModelSpec spec = only("{id: a, type: echo, max_concurrency: 2}");

    assertThat(spec.maxQueue()).as("4 per slot").isEqualTo(8);
    assertThat(spec.queueTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(spec.retry()).isEqualTo(RetryPolicy.defaults());
    assertThat(spec.circuitBreaker()).isEqualTo(BreakerPolicy.defaults());
    assertThat(only("{id: a, type: echo}").maxQueue()).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"off", "false", "\"off\""})
  void should_turn_retry_and_the_breaker_off(String off) {
    ModelSpec spec = only("{id: a, type: echo, retry: " + off + ", circuit_breaker: " + off + "}");

    assertThat(spec.retry()).isEqualTo(RetryPolicy.none());
    assertThat(spec.circuitBreaker().enabled()).isFalse();
  }

  @Test
  void should_refuse_a_queue_without_a_concurrency_limit_at_its_key() {
    assertThat(errorOf("{id: a, type: echo, max_queue: 3}"))
        .hasMessageStartingWith("models.yaml:2:25: models[0].max_queue: a queue holds requests waiting for a slot of max_concurrency");
    assertThat(errorOf("{id: a, type: echo, queue_timeout: 3s}")).hasMessageContaining("models[0].queue_timeout");
  }

  @Test
  void should_refuse_bad_values_at_their_line_with_the_path() {
    assertThat(errorOf("{id: a, type: echo, retry: {max_attempts: 0}}"))
        .hasMessage("models.yaml:2:47: models[0].retry.max_attempts: must be at least 1, found 0");
    assertThat(errorOf("{id: a, type: echo, retry: {backoff: 10s}}"))
        .hasMessageContaining("models[0].retry.backoff: must not be longer than max_backoff (4s by default)");
    assertThat(errorOf("{id: a, type: echo, retry: {max_backoff: 10ms}}"))
        .hasMessageContaining("models[0].retry.max_backoff: must not be shorter than backoff (by default 250ms)");
    assertThat(errorOf("{id: a, type: echo, retry: {max_attempt: 2}}"))
        .hasMessageContaining("models[0].retry").hasMessageContaining("max_attempts");
    assertThat(errorOf("{id: a, type: echo, retry: 3}")).hasMessageContaining("models[0].retry").hasMessageContaining("or off");
    assertThat(errorOf("{id: a, type: echo, circuit_breaker: {failure_rate: 150%}}"))
        .hasMessageContaining("models[0].circuit_breaker.failure_rate: must be a percentage above 0 and at most 100");
    assertThat(errorOf("{id: a, type: echo, circuit_breaker: {window: 3, minimum_calls: 5}}"))
        .hasMessageContaining("models[0].circuit_breaker.minimum_calls: must not be more than window");
    assertThat(errorOf("{id: a, type: echo, circuit_breaker: {open_for: 0s}}"))
        .hasMessageContaining("models[0].circuit_breaker.open_for: must be a positive duration");
    assertThat(errorOf("{id: a, type: echo, max_concurrency: 1, queue_timeout: -1s}"))
        .hasMessageContaining("models[0].queue_timeout");
  }

  @Test
  void should_read_a_routes_error_class_models_and_refuse_unknown_or_itself() {
    String models = "models:\n  - {id: small, type: echo}\n  - {id: big, type: echo}\n";
    ModelMuxConfig config = ModelMuxConfig.parse(
        models + "routes:\n  - {name: chat, target: small, on_context_length: big, on_content_filter: big}\n", "models.yaml", n -> null);

    assertThat(config.routes().get(0).onContextLength()).hasValue("big");
    assertThat(config.routes().get(0).onContentFilter()).hasValue("big");
    assertThat(routeError(models + "routes:\n  - {name: chat, target: small, on_context_length: huge}\n"))
        .hasMessageContaining("routes[0].on_context_length").hasMessageContaining("huge");
    assertThat(routeError(models + "routes:\n  - {name: chat, target: small, on_content_filter: chat}\n"))
        .hasMessageContaining("routes[0].on_content_filter");
  }

  @Test
  void should_read_overflow_to_naming_models_defined_before_or_after_and_refuse_unknown_or_itself() {
    ModelMuxConfig config = ModelMuxConfig.parse(
        "models:\n  - {id: local, type: echo, overflow_to: [remote]}\n  - {id: remote, type: echo, overflow_to: local}\n",
        "models.yaml", n -> null);

    assertThat(config.models().get(0).overflowTo()).containsExactly("remote");
    assertThat(config.models().get(1).overflowTo()).containsExactly("local");
    assertThat(routeError("models:\n  - {id: local, type: echo, overflow_to: [remot]}\n  - {id: remote, type: echo}\n"))
        .hasMessageStartingWith("models.yaml:2:43: models[0].overflow_to[0]: model 'remot' is not defined")
        .hasMessageContaining("did you mean 'remote'?");
    assertThat(routeError("models:\n  - {id: local, type: echo, overflow_to: [local]}\n"))
        .hasMessageContaining("models[0].overflow_to[0]: is this model itself");
  }

  private static ConfigException routeError(String yaml) {
    try {
      ModelMuxConfig.parse(yaml, "models.yaml", n -> null);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("no error for " + yaml);
  }
}
