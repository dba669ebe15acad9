package io.modelmux.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.BreakerPolicy;
import io.modelmux.GenerateRequest;
import io.modelmux.GuardStats;
import io.modelmux.ModelMuxException;
import io.modelmux.MultiModelManager;
import io.modelmux.RetryPolicy;
import io.modelmux.http.testing.FakeServer;
import io.modelmux.spi.ModelSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each replica's circuit, judged by the model's policy, is shown in {@code models()}. */
class ReplicaCircuitsTest {
  @Test
  void should_show_a_failing_replicas_open_circuit_in_the_models_status() throws Exception {
    byte[] ok = FakeServer.fixture("openai/vllm_chat_completion.json");
    byte[] err = FakeServer.fixture("openai/error_500_server_error_openai.json");
    try (FakeServer good = new FakeServer(); FakeServer bad = new FakeServer()) {
      good.on("/v1/chat/completions", FakeServer.body(200, "application/json", ok));
      bad.on("/v1/chat/completions", FakeServer.body(500, "application/json", err));
      BreakerPolicy policy = BreakerPolicy.builder().window(4).minimumCalls(4).openFor(Duration.ofMinutes(1)).build();
      try (MultiModelManager manager = MultiModelManager.builder().environment(n -> null)
          .model(ModelSpec.builder("llama", "openai")
              .option("replicas", List.of(good.openAiBaseUrl(), bad.openAiBaseUrl()))
              .retry(RetryPolicy.none())
              .circuitBreaker(policy)
              .build())
          .build()) {
        for (int i = 0; i < 40; i++) {
          try {
            manager.generate(GenerateRequest.of("llama", "Hi"));
          } catch (ModelMuxException e) {
            // the bad replica's 500s, until its circuit opens
          }
        }

        GuardStats stats = manager.model("llama").orElseThrow().guardStats();
        assertThat(stats.replicas()).containsEntry(good.openAiBaseUrl(), GuardStats.CircuitState.CLOSED)
            .containsEntry(bad.openAiBaseUrl(), GuardStats.CircuitState.OPEN);
        assertThat(stats.circuit()).as("one healthy server keeps the model's circuit closed").isEqualTo(GuardStats.CircuitState.CLOSED);
        assertThat(bad.requests.get()).as("left out once open").isLessThan(10);
        assertThat(manager.generate(GenerateRequest.of("llama", "Hi")).text()).isNotEmpty();
      }
    }
  }

  @Test
  void should_open_the_models_circuit_when_every_replicas_is_open_and_name_them() throws Exception {
    byte[] err = FakeServer.fixture("openai/error_500_server_error_openai.json");
    try (FakeServer a = new FakeServer(); FakeServer b = new FakeServer()) {
      a.on("/v1/chat/completions", FakeServer.body(500, "application/json", err));
      b.on("/v1/chat/completions", FakeServer.body(500, "application/json", err));
      try (MultiModelManager manager = MultiModelManager.builder().environment(n -> null)
          .model(ModelSpec.builder("llama", "openai")
              .option("replicas", List.of(a.openAiBaseUrl(), b.openAiBaseUrl()))
              .retry(RetryPolicy.none())
              .circuitBreaker(BreakerPolicy.builder().window(2).minimumCalls(2).openFor(Duration.ofMinutes(1)).build())
              .build())
          .build()) {
        for (int i = 0; i < 10; i++) {
          try {
            manager.generate(GenerateRequest.of("llama", "Hi"));
          } catch (ModelMuxException e) {
            // 500s, until both circuits are open
          }
        }

        assertThat(manager.model("llama").orElseThrow().circuit()).isEqualTo(GuardStats.CircuitState.OPEN);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> manager.generate(GenerateRequest.of("llama", "Hi")))
            .isInstanceOf(io.modelmux.CircuitOpenException.class)
            .hasMessageContaining("every replica of model 'llama' has an open circuit")
            .hasMessageContaining(a.openAiBaseUrl()).hasMessageContaining(b.openAiBaseUrl());
      }
    }
  }
}
