package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.GenerateRequest;
import io.modelmux.Hardware;
import io.modelmux.MemoryConfig;
import io.modelmux.ModelEvent;
import io.modelmux.MultiModelManager;
import io.modelmux.PoolStatus;
import io.modelmux.Tier;
import io.modelmux.spi.ModelSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Two real tiny LMs under a memory budget that holds only one of them. Each says it takes 60 MB
 * ({@code memory}: more than it measures, about 10 MB unbatched in a settled JVM, up to 33 MB
 * in a young one whose heap pages are touched for the first time), so that the 100 MB budget
 * holds one and not two whatever this JVM measured.
 */
class SharedBudgetTest {
  @Test
  void should_alternate_two_real_models_in_a_budget_for_one_and_count_the_evictions() {
    List<ModelEvent> events = new CopyOnWriteArrayList<>();
    ModelSpec.Builder tiny =
        ModelSpec.builder("first", "djl").option("path", "classpath:/models/tiny-lm").option("max_batch_size", 1).memoryBytes(60_000_000).device("cpu");
    try (MultiModelManager manager =
        MultiModelManager.builder()
            .environment(n -> null)
            .hardware(new Hardware(1L << 34, List.of(), false))
            .memory(new MemoryConfig(MemoryConfig.Amount.ofBytes(100_000_000), null, null, -1, "lru", Map.of()))
            .listener(events::add)
            .model(tiny.build())
            .model(ModelSpec.builder("second", "djl").option("path", "classpath:/models/tiny-lm").option("max_batch_size", 1).memoryBytes(60_000_000).device("cpu").build())
            .build()) {
      String expected = "And then the courter, and the sease of the world\nThe state o";
      for (int i = 0; i < 6; i++) {
        String model = i % 2 == 0 ? "first" : "second";
        String text =
            manager.generate(GenerateRequest.builder().model(model).prompt("ROMEO:\n").temperature(0).maxTokens(60).build()).text();
        assertThat(text).as("answer %d from %s", i, model).isEqualTo(expected);
        assertThat(manager.model(model).get().tier()).isEqualTo(Tier.ACTIVE);
        PoolStatus host = manager.pools().get(0);
        assertThat(host.usedBytes()).isLessThanOrEqualTo(host.budgetBytes());
        assertThat(host.models()).hasSize(1);
      }
      assertThat(manager.model("first").get().evictions()).isEqualTo(3);
      assertThat(manager.model("second").get().evictions()).isEqualTo(2);
      assertThat(manager.model("first").get().loads()).isEqualTo(3);
      assertThat(events).filteredOn(e -> e.type() == ModelEvent.Type.EVICTED).hasSize(5);
    }
  }

  @Test
  void should_return_the_budget_to_zero_after_load_unload_cycles() {
    try (MultiModelManager manager =
        MultiModelManager.builder()
            .environment(n -> null)
            .hardware(new Hardware(1L << 34, List.of(), false))
            .memory(new MemoryConfig(MemoryConfig.Amount.ofBytes(100_000_000), null, null, -1, "lru", Map.of()))
            .model(ModelSpec.builder("m", "djl").option("path", "classpath:/models/tiny-lm").option("max_batch_size", 1).memoryBytes(60_000_000).device("cpu").build())
            .build()) {
      for (int i = 0; i < 20; i++) {
        manager.generate(GenerateRequest.builder().model("m").prompt("A").temperature(0).maxTokens(4).build());
        assertThat(manager.pools().get(0).usedBytes()).isPositive();
        manager.unload("m");
        assertThat(manager.pools().get(0).usedBytes()).isZero();
      }
      assertThat(manager.model("m").get().loads()).isEqualTo(20);
      assertThat(manager.model("m").get().tier()).isEqualTo(Tier.COLD);
    }
  }
}
