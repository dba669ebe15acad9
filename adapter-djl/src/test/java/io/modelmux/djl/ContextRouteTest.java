package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.Attempt;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.MultiModelManager;
import io.modelmux.RouteConfig;
import io.modelmux.spi.ModelSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prompt the local tokenizer counts as longer than a model's context goes to the route's
 * {@code on_context_length} model before any call, instead of being cut to the context.
 */
class ContextRouteTest {
  @TempDir Path dir;

  @Test
  void should_send_a_prompt_longer_than_a_small_context_to_the_longer_context_model() throws Exception {
    Path small = TinyModels.randomTinyLm(dir.resolve("small"), 32);
    try (MultiModelManager manager = MultiModelManager.builder().environment(n -> null)
        .model(ModelSpec.builder("small", "djl").option("path", small.toString()).device("cpu").option("max_batch_size", 1).build())
        .model(ModelSpec.builder("big", "djl").option("path", "classpath:/models/tiny-lm").device("cpu").option("max_batch_size", 1).build())
        .route(RouteConfig.builder("chat").target("small").onContextLength("big").build())
        .build()) {

      GenerateResponse longOne = manager.generate(GenerateRequest.builder().model("chat").prompt("x".repeat(100)).maxTokens(3).build());
      GenerateResponse shortOne = manager.generate(GenerateRequest.builder().model("chat").prompt("short").maxTokens(3).build());

      assertThat(longOne.model().id()).isEqualTo("big");
      assertThat(longOne.attempts()).first().satisfies(a -> {
        assertThat(a.model().id()).isEqualTo("small");
        assertThat(a.outcome()).isEqualTo(Attempt.Outcome.FAILED);
        assertThat(a.errorType()).hasValue("ContextLengthExceededException");
      });
      assertThat(shortOne.model().id()).as("a prompt that fits stays on the small model").isEqualTo("small");
      assertThat(shortOne.attempts()).hasSize(1);
    }
  }
}
