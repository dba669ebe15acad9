package io.modelmux.llamacpp;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.GenerateRequest;
import io.modelmux.Hardware;
import io.modelmux.MemoryConfig;
import io.modelmux.ModelEvent;
import io.modelmux.MultiModelManager;
import io.modelmux.PoolStatus;
import io.modelmux.Tier;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.ModelSpec;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF models under the memory scheduler: sized from the GGUF before their first load, measured
 * after it, and two of them alternating in a budget that holds one, each eviction ending the
 * evicted model's runner process.
 */
class SharedBudgetTest {
  private static ModelSpec gguf(String id) {
    return ModelSpec.builder(id, "llamacpp").option("path", TinyGguf.CLASSPATH).option("parallel", 2)
        .option("threads", 1).device("cpu").build();
  }

  @Test
  void footprint_is_estimated_from_the_gguf_before_load_and_measured_after() {
    try (LlamaCppAdapter a = (LlamaCppAdapter) new LlamaCppModelFactory().create(gguf("m"))) {
      Footprint before = a.footprint();
      assertThat(before.isMeasured()).isFalse();
      long tensors = 3_461_632; // 842,496 parameters + the untied copy of the head, float32
      long kv = 2L * 4 * 2 * 128 * 128 * 2; // K and V, 4 layers, 2 slots x 128 tokens, 128 wide, f16
      assertThat(before.bytes(Footprint.HOST)).isGreaterThan(tensors + kv + LlamaCppAdapter.RUNNER_BYTES);
      a.load();
      Footprint after = a.footprint();
      assertThat(after.isMeasured()).isTrue();
      // at least what llama.cpp said it allocated, and the runner's own resident memory
      assertThat(after.bytes(Footprint.HOST)).isGreaterThan(tensors + kv);
      assertThat(before.bytes(Footprint.HOST)).as("the estimate errs large").isGreaterThanOrEqualTo(after.bytes(Footprint.HOST));
      System.out.printf("footprint: estimated %.1f MB, measured %.1f MB%n", before.totalBytes() / 1e6, after.totalBytes() / 1e6);
    }
  }

  @Test
  void a_gguf_that_only_the_context_class_loader_holds_is_sized_and_loaded_from_it(@TempDir Path dir) throws Exception {
    // An application server or a notebook puts its resources on the thread's context class
    // loader, not on the one that loaded ModelMux: the estimate must find the file the load does.
    TinyGguf.copy(Files.createDirectories(dir.resolve("app")).resolve("only-here.gguf"));
    ClassLoader before = Thread.currentThread().getContextClassLoader();
    try (URLClassLoader app = new URLClassLoader(new URL[] {dir.toUri().toURL()}, null)) {
      Thread.currentThread().setContextClassLoader(app);
      ModelSpec spec = ModelSpec.builder("m", "llamacpp").option("path", "classpath:/app/only-here.gguf")
          .option("parallel", 1).device("cpu").build();
      try (LlamaCppAdapter a = (LlamaCppAdapter) new LlamaCppModelFactory().create(spec)) {
        assertThat(a.footprint().totalBytes()).as("estimated from the file").isGreaterThan(3_461_632L + LlamaCppAdapter.RUNNER_BYTES);
        a.load();
        assertThat(a.isLoaded()).isTrue();
      }
    } finally {
      Thread.currentThread().setContextClassLoader(before);
    }
  }

  @Test
  void two_gguf_models_alternate_in_a_budget_that_holds_one() {
    long one;
    try (LlamaCppAdapter probe = (LlamaCppAdapter) new LlamaCppModelFactory().create(gguf("probe"))) {
      one = probe.footprint().totalBytes(); // the estimate, which is the larger
    }
    List<ModelEvent> events = new CopyOnWriteArrayList<>();
    try (MultiModelManager manager =
        MultiModelManager.builder()
            .environment(n -> null)
            .hardware(new Hardware(1L << 34, List.of(), false))
            .memory(new MemoryConfig(MemoryConfig.Amount.ofBytes(one * 3 / 2), null, null, -1, "lru", Map.of()))
            .listener(events::add)
            .model(gguf("first"))
            .model(gguf("second"))
            .build()) {
      String expected = "And then the courter, and the sease of the world\nThe state o";
      long lastPid = -1;
      for (int i = 0; i < 6; i++) {
        String model = i % 2 == 0 ? "first" : "second";
        String text =
            manager.generate(GenerateRequest.builder().model(model).prompt("ROMEO:\n").temperature(0).maxTokens(60).build()).text();
        assertThat(text).as("answer %d from %s", i, model).isEqualTo(expected);
        assertThat(manager.model(model).get().tier()).isEqualTo(Tier.ACTIVE);
        PoolStatus host = manager.pools().get(0);
        assertThat(host.usedBytes()).isLessThanOrEqualTo(host.budgetBytes());
        assertThat(host.models()).hasSize(1);
        if (lastPid > 0) {
          long gone = lastPid;
          assertThat(ProcessHandle.of(gone).filter(ProcessHandle::isAlive)).as("the evicted model's runner").isEmpty();
        }
        lastPid = runnerPids().stream().findFirst().orElse(-1L);
      }
      assertThat(manager.model("first").get().evictions()).isEqualTo(3);
      assertThat(manager.model("second").get().evictions()).isEqualTo(2);
      assertThat(events).filteredOn(e -> e.type() == ModelEvent.Type.EVICTED).hasSize(5);
    }
    assertThat(runnerPids()).as("runners left after close").isEmpty();
  }

  @Test
  void a_model_re_registered_under_its_old_name_gets_a_runner_of_its_own_and_the_old_one_ends() {
    try (MultiModelManager manager = MultiModelManager.builder().environment(n -> null).model(gguf("m")).build()) {
      GenerateRequest r = GenerateRequest.builder().model("m").prompt("ROMEO:\n").temperature(0).maxTokens(24).build();
      assertThat(manager.generate(r).text()).isEqualTo("And then the courter, an");
      List<Long> first = runnerPids();
      assertThat(first).hasSize(1);
      manager.unregister("m");
      assertThat(runnerPids()).as("the unregistered model's runner").isEmpty();
      manager.register(ModelSpec.builder("m", "llamacpp").option("path", TinyGguf.CLASSPATH).option("parallel", 1)
          .option("max_tokens", 5).device("cpu").build());
      // the new registration's own options: its max_tokens, and a runner that is not the old one
      assertThat(manager.generate(GenerateRequest.builder().model("m").prompt("ROMEO:\n").temperature(0).build()).text())
          .isEqualTo("And t");
      assertThat(runnerPids()).hasSize(1).doesNotContainAnyElementsOf(first);
    }
    assertThat(runnerPids()).isEmpty();
  }

  /** Returns the pids of this JVM's live runner processes. */
  static List<Long> runnerPids() {
    return ProcessHandle.current().children()
        .filter(p -> p.info().arguments().map(a -> List.of(a).contains(Runner.class.getName())).orElse(false))
        .map(ProcessHandle::pid)
        .toList();
  }
}
