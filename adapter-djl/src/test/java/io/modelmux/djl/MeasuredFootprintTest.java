package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.ModelMuxException;
import io.modelmux.StreamListener;
import io.modelmux.Hardware;
import io.modelmux.MemoryConfig;
import io.modelmux.MemoryStats;
import io.modelmux.ModelLoadException;
import io.modelmux.ModelState;
import io.modelmux.MultiModelManager;
import io.modelmux.spi.ModelSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Real DJL models under the scheduler's measurement: what they are charged, how they warm up. */
class MeasuredFootprintTest {
  private static MultiModelManager manager(ModelSpec... specs) {
    MultiModelManager.Builder b =
        MultiModelManager.builder()
            .environment(n -> null)
            .hardware(new Hardware(1L << 34, List.of(), false))
            .memory(new MemoryConfig(MemoryConfig.Amount.ofBytes(1L << 30), null, null, -1, "lru", Map.of()));
    for (ModelSpec s : specs) {
      b.model(s);
    }
    return b.build();
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void should_show_the_estimate_before_the_first_load_and_the_measured_size_after() {
    ModelSpec tiny = ModelSpec.builder("tiny", "djl").option("path", "classpath:/models/tiny-lm").device("cpu").build();
    try (MultiModelManager m = manager(tiny)) {
      MemoryStats before = m.model("tiny").orElseThrow().memoryStats();
      assertThat(before.source()).isEqualTo(MemoryStats.Source.ESTIMATED);
      assertThat(before.isMeasured()).isFalse();

      m.generate(GenerateRequest.builder().model("tiny").prompt("ROMEO:").maxTokens(4).build());

      MemoryStats after = m.model("tiny").orElseThrow().memoryStats();
      assertThat(after.source())
          .as("a full batch at the full context takes more than the weights and KV cache the adapter counts")
          .isEqualTo(MemoryStats.Source.MEASURED);
      assertThat(after.bytes()).isGreaterThan(3_374_000L + 4_194_304L); // parameters + KV cache for 8 rows
      // That the estimate is not below the measured size is FootprintIT's to check, in a JVM of
      // its own: here the test JVM's heap may be touched for the first time during the load,
      // which the measurement cannot tell from the model's (up to 33 MB seen).
      assertThat(m.pools().get(0).usedBytes()).isEqualTo(after.bytes());
    }
  }

  @Test
  void should_fail_the_load_of_a_model_that_cannot_take_its_own_context_and_say_which_setting() {
    ModelSpec tooLong =
        ModelSpec.builder("ts", "djl")
            .option("path", Path.of("src/test/resources/torchscript/tiny-gpt.pt").toAbsolutePath().toString())
            .option("tokenizer", "byte")
            .option("max_batch_size", 2)
            .device("cpu")
            .build(); // context_length defaults to 1024; the model takes 64
    try (MultiModelManager m = manager(tooLong)) {
      assertThatThrownBy(() -> m.generate(GenerateRequest.builder().model("ts").prompt("Hi").maxTokens(2).build()))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("failed its warm-up, a batch of 2 (max_batch_size) at its full context of 1024 tokens")
          .hasMessageContaining("set context_length");
      assertThat(m.model("ts").orElseThrow().state()).isEqualTo(ModelState.FAILED);
      assertThat(m.pools().get(0).usedBytes()).isZero();
    }
  }

  @Test
  void should_decode_an_unbatched_model_on_its_own_thread_and_leave_its_largest_batch_to_requests() {
    ModelSpec one = ModelSpec.builder("one", "djl").option("path", "classpath:/models/tiny-lm").option("max_batch_size", 1).device("cpu").build();
    try (MultiModelManager m = manager(one)) {
      AtomicReference<String> thread = new AtomicReference<>();
      m.stream(
              GenerateRequest.builder().model("one").prompt("ROMEO:").maxTokens(3).build(),
              new StreamListener() {
                @Override
                public void onToken(String text) {
                  thread.set(Thread.currentThread().getName());
                }

                @Override
                public void onComplete(GenerateResponse response) {}

                @Override
                public void onError(ModelMuxException error) {}
              })
          .completion()
          .join();
      assertThat(thread.get()).isEqualTo("modelmux-djl-one-batcher");
    }
  }
}
