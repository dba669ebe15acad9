package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.spi.ModelSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The guard's values refuse bad arguments at once, naming the argument and the value. */
class PolicyBuildersTest {
  @Test
  void should_check_retry_policy_arguments() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0)).hasMessage("maxAttempts must be at least 1, got 0");
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(Duration.ZERO)).hasMessage("backoff must be positive, got PT0S");
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(Duration.ofSeconds(10)).build())
        .hasMessageContaining("backoff (PT10S) must not be longer than maxBackoff (PT4S)");
    assertThat(RetryPolicy.none().maxAttempts()).isEqualTo(1);
    assertThat(RetryPolicy.defaults()).isEqualTo(RetryPolicy.builder().build());
  }

  @Test
  void should_check_breaker_policy_arguments() {
    assertThatThrownBy(() -> BreakerPolicy.builder().failureRate(0)).hasMessageContaining("failureRate must be above 0");
    assertThatThrownBy(() -> BreakerPolicy.builder().failureRate(101)).hasMessageContaining("got 101.0");
    assertThatThrownBy(() -> BreakerPolicy.builder().window(0)).hasMessage("window must be at least 1 call, got 0");
    assertThatThrownBy(() -> BreakerPolicy.builder().openFor(Duration.ofSeconds(-1))).hasMessageContaining("openFor must be positive");
    assertThatThrownBy(() -> BreakerPolicy.builder().window(3).minimumCalls(5).build())
        .hasMessage("minimumCalls (5) must not be more than window (3)");
    assertThat(BreakerPolicy.disabled().enabled()).isFalse();
  }

  @Test
  void should_check_a_specs_guard_settings() {
    assertThatThrownBy(() -> ModelSpec.builder("m", "echo").maxQueue(-1)).hasMessage("maxQueue must be at least 0, got -1");
    assertThatThrownBy(() -> ModelSpec.builder("m", "echo").maxQueue(4).build())
        .hasMessageContaining("sets maxQueue without maxConcurrency");
    assertThatThrownBy(() -> ModelSpec.builder("m", "echo").queueTimeout(Duration.ofSeconds(1)).build())
        .hasMessageContaining("sets queueTimeout without maxConcurrency");
    assertThatThrownBy(() -> ModelSpec.builder("m", "echo").overflowTo(List.of("m@2")))
        .hasMessageContaining("cannot overflow to itself");
    ModelSpec spec = ModelSpec.builder("m", "echo").maxConcurrency(2).maxQueue(0).overflowTo(List.of("n")).build();
    assertThat(spec.toBuilder().build().maxQueue()).as("toBuilder keeps the queue").isZero();
    assertThat(spec.toBuilder().build().overflowTo()).containsExactly("n");
  }
}
