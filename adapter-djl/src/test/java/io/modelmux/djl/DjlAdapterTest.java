package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ConfigException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelLoadException;
import io.modelmux.spi.Completion;
import io.modelmux.spi.Footprint;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import io.modelmux.testing.RecordingSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DjlAdapterTest {
  @TempDir static Path dir;
  static Path model;
  private final List<ModelAdapter> adapters = new ArrayList<>();

  @BeforeAll
  static void makeModel() throws Exception {
    model = TinyModels.randomTinyLm(dir.resolve("tiny"), 32);
  }

  @AfterEach
  void close() {
    adapters.forEach(ModelAdapter::close);
  }

  private ModelAdapter adapter(ModelSpec.Builder spec) {
    ModelAdapter a = new DjlModelFactory().create(spec.build());
    adapters.add(a);
    return a;
  }

  private ModelSpec.Builder tiny() {
    return ModelSpec.builder("tiny", "djl").option("path", model.toString()).device("cpu");
  }

  private static GenerateRequest greedy(String prompt, int maxTokens) {
    return GenerateRequest.builder().prompt(prompt).temperature(0).maxTokens(maxTokens).build();
  }

  @Test
  void should_give_each_batched_request_exactly_its_unbatched_greedy_answer() throws Exception {
    ModelAdapter alone = adapter(tiny().option("max_batch_size", 1));
    ModelAdapter batched = adapter(tiny().option("max_batch_size", 8).option("max_batch_delay", "300ms"));
    alone.load();
    batched.load();
    List<String> prompts = List.of("a", "To be, or not", "Once upon a time there", "xyz", "Hello", "!?");
    List<String> expected = new ArrayList<>();
    for (String p : prompts) {
      expected.add(alone.generate(greedy(p, 12)).text());
    }
    ExecutorService pool = Executors.newFixedThreadPool(prompts.size());
    try {
      List<Future<Completion>> answers = new ArrayList<>();
      for (String p : prompts) {
        answers.add(pool.submit(() -> batched.generate(greedy(p, 12))));
      }
      for (int i = 0; i < prompts.size(); i++) {
        assertThat(answers.get(i).get(60, TimeUnit.SECONDS).text()).as(prompts.get(i)).isEqualTo(expected.get(i));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void should_give_the_same_text_for_the_same_seed() {
    ModelAdapter a = adapter(tiny());
    a.load();
    GenerateRequest seeded = GenerateRequest.builder().prompt("Hi").temperature(1.0).seed(7).maxTokens(20).build();

    String first = a.generate(seeded).text();

    assertThat(a.generate(seeded).text()).isEqualTo(first);
    assertThat(a.generate(seeded.toBuilder().seed(8).build()).text()).isNotEqualTo(first);
  }

  @Test
  void should_stop_before_a_stop_sequence_and_never_stream_part_of_it() {
    ModelAdapter a = adapter(tiny());
    a.load();
    String full = a.generate(greedy("The", 30)).text();
    assertThat(full.length()).isGreaterThan(6);
    String stop = full.substring(3, 6);
    RecordingSink sink = new RecordingSink();

    Completion c = a.stream(greedy("The", 30).toBuilder().stop(stop).build(), sink);

    assertThat(c.finishReason()).isEqualTo(FinishReason.STOP_SEQUENCE);
    assertThat(c.text()).isEqualTo(full.substring(0, full.indexOf(stop)));
    assertThat(String.join("", sink.pieces)).isEqualTo(c.text());
  }

  @Test
  void should_report_length_and_usage_at_max_tokens() {
    ModelAdapter a = adapter(tiny());
    a.load();

    Completion c = a.generate(greedy("abc", 5));

    assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(c.usage()).hasValueSatisfying(u -> {
      assertThat(u.promptTokens()).isEqualTo(3);
      assertThat(u.completionTokens()).isEqualTo(5);
    });
    assertThat(c.timeToFirstToken()).isPresent();
  }

  @Test
  void should_keep_the_end_of_a_prompt_longer_than_the_context() {
    ModelAdapter a = adapter(tiny());
    a.load();
    String longPrompt = "x".repeat(100) + "tail";

    Completion c = a.generate(greedy(longPrompt, 40));

    assertThat(c.usage().get().promptTokens()).isEqualTo(31); // context 32, one left to generate
    assertThat(c.usage().get().completionTokens()).isEqualTo(40); // past the context: the window slides
  }

  @Test
  void should_estimate_before_load_and_measure_after_and_free_on_unload() {
    ModelAdapter a = adapter(tiny().option("max_batch_size", 2));
    TinyLmConfig config = TinyLm.readConfig(model, "tiny");
    long kv = config.kvCacheBytes(2, 4);

    Footprint before = a.footprint();
    a.load();
    Footprint after = a.footprint();
    TinyLm lm = (TinyLm) ((DjlAdapter) a).modelForTests();
    a.unload();
    a.unload();

    assertThat(before.isMeasured()).isFalse();
    long t = config.contextLength();
    long work = 4 * (32 * 2 * t * config.dModel() + 4 * 2 * config.heads() * t * t + 2 * 2 * t * config.vocabSize());
    assertThat(before.bytes(Footprint.HOST))
        .as("parameters, KV cache, one layer's work at a full batch and context, the runtime's share")
        .isEqualTo(config.parameterCount() * 4 + kv + work + DjlAdapter.RUNTIME_BYTES);
    assertThat(after.isMeasured()).isTrue();
    assertThat(after.bytes(Footprint.HOST)).isEqualTo(lm.parameterBytes() + kv);
    assertThat(lm.isOpen()).as("the model's NDManager is closed").isFalse();
    assertThat(a.isLoaded()).isFalse();
  }

  @Test
  void should_run_in_float16_in_half_the_memory_and_refuse_bfloat16() {
    ModelAdapter fp16 = adapter(tiny().option("dtype", "float16"));
    ModelAdapter fp32 = adapter(tiny());
    fp16.load();
    fp32.load();

    Completion half = fp16.generate(greedy("Hi", 4));
    assertThat(half.usage()).hasValueSatisfying(u -> assertThat(u.completionTokens()).isEqualTo(4));
    assertThat(half.text()).isNotBlank();
    assertThat(fp16.footprint().bytes(Footprint.HOST) * 2).isEqualTo(fp32.footprint().bytes(Footprint.HOST));
    assertThatThrownBy(() -> adapter(tiny().option("dtype", "bfloat16")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("bfloat16 is not supported");
  }

  @Test
  void should_name_the_file_when_the_model_directory_is_missing() {
    Path missing = dir.resolve("nowhere");
    ModelAdapter a = adapter(ModelSpec.builder("m", "djl").option("path", missing.toString()).option("format", "tiny-lm"));

    assertThatThrownBy(a::load)
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(missing.resolve("tiny-lm.json").toString());
    assertThat(a.isLoaded()).isFalse();
  }

  @Test
  void should_name_the_file_when_the_parameters_are_corrupt() throws Exception {
    Path broken = dir.resolve("broken");
    Files.createDirectories(broken);
    Files.copy(model.resolve("tiny-lm.json"), broken.resolve("tiny-lm.json"));
    Files.write(broken.resolve("tiny-lm-0000.params"), new byte[] {1, 2, 3, 4, 5});
    ModelAdapter a = adapter(ModelSpec.builder("m", "djl").option("path", broken.toString()));

    assertThatThrownBy(a::load).isInstanceOf(ModelLoadException.class).hasMessageContaining(broken.toString());
  }

  @Test
  void should_refuse_an_unknown_device_when_created_and_a_missing_one_when_loaded() {
    assertThatThrownBy(() -> adapter(tiny().device("tpu")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("device 'tpu'");
    ModelAdapter cuda = adapter(tiny().device("cuda:1"));

    assertThatThrownBy(cuda::load)
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("cuda:1")
        .hasMessageContaining("CUDA device(s)");
  }

  @Test
  void should_check_options_when_created() {
    assertThatThrownBy(() -> adapter(tiny().option("dtype", "int8")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dtype");
    assertThatThrownBy(() -> adapter(tiny().option("max_batch_size", 0)))
        .hasMessageContaining("max_batch_size")
        .hasMessageContaining("at least 1");
    assertThatThrownBy(() -> adapter(tiny().option("format", "onnx"))).hasMessageContaining("format");
    assertThatThrownBy(() -> adapter(ModelSpec.builder("m", "djl")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'path'")
        .hasMessageContaining("required");
  }

  @Test
  void should_offer_demotion_only_for_a_tiny_lm_on_an_accelerator() {
    DjlAdapter a = (DjlAdapter) adapter(tiny());
    assertThat(a.canDemote()).isFalse();
    a.load();

    assertThat(a.canDemote()).as("on CPU there is nowhere cheaper to park").isFalse();
    assertThatThrownBy(a::promote).isInstanceOf(IllegalStateException.class);
    assertThat(a.isDemoted()).isFalse();
  }

  @Test
  void should_refuse_an_empty_prompt_naming_the_model() {
    ModelAdapter a = adapter(tiny());
    a.load();

    assertThatThrownBy(() -> a.generate(GenerateRequest.of("")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("'tiny'");
  }
}
