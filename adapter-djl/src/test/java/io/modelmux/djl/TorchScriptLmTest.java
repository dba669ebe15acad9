package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelmux.GenerateRequest;
import io.modelmux.ModelLoadException;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TorchScript models made by {@code src/test/resources/torchscript/make_models.py} (torch 1.13,
 * committed): their logits and greedy continuations must match what Python recorded.
 */
class TorchScriptLmTest {
  static final Path DIR = Path.of("src/test/resources/torchscript");
  static JsonNode expected;
  @TempDir Path tmp;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeAll
  static void readExpected() throws Exception {
    expected = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private TorchScriptLm load(String file) {
    TorchScriptLm lm = TorchScriptLm.load(DIR.resolve(file), Device.cpu(), DataType.FLOAT32, 64, "ts");
    open.add(lm);
    return lm;
  }

  private ModelAdapter adapter(ModelSpec.Builder spec) {
    ModelAdapter a = new DjlModelFactory().create(spec.device("cpu").build());
    open.add(a);
    return a;
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  private static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).asDouble();
    }
    return out;
  }

  @Test
  void should_match_the_logits_recorded_in_python() {
    TorchScriptLm lm = load("tiny-gpt.pt");
    JsonNode hello = expected.path("tiny-gpt.pt").path("prompts").path("Hello");

    try (CausalLm.Decoder d = lm.start(List.of(ints(hello.path("input_ids"))))) {
      assertThat(d.logits()[0]).containsExactly(floats(hello.path("logits_last")), within(1e-4f));
    }
    assertThat(lm.vocabSize()).isEqualTo(256);
    assertThat(lm.usesKvCache()).isFalse();
  }

  @Test
  void should_continue_greedily_as_python_did_alone_and_in_a_batch() {
    TorchScriptLm lm = load("tiny-gpt.pt");
    JsonNode prompts = expected.path("tiny-gpt.pt").path("prompts");
    int[] hello = ints(prompts.path("Hello").path("input_ids"));
    int[] toBe = ints(prompts.path("To be").path("input_ids"));

    List<List<Integer>> out = greedy(lm, List.of(hello, toBe), 20);

    assertThat(out.get(0)).containsExactly(boxed(ints(prompts.path("Hello").path("greedy_20"))));
    assertThat(out.get(1)).containsExactly(boxed(ints(prompts.path("To be").path("greedy_20"))));
  }

  @Test
  void should_take_the_logits_from_a_tuple_output() {
    TorchScriptLm plain = load("tiny-gpt.pt");
    TorchScriptLm tuple = load("tiny-gpt-tuple.pt");
    int[] prompt = {72, 105};

    assertThat(greedy(tuple, List.of(prompt), 10)).isEqualTo(greedy(plain, List.of(prompt), 10));
  }

  @Test
  void should_refuse_a_model_whose_output_is_not_bt_v_naming_the_file() {
    assertThatThrownBy(() -> load("wrong-shape.pt"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("wrong-shape.pt")
        .hasMessageContaining("[B,T,V]");
  }

  @Test
  void should_refuse_a_corrupt_file_naming_it() throws Exception {
    Path corrupt = tmp.resolve("corrupt.pt");
    Files.write(corrupt, "not a zip archive".getBytes());

    assertThatThrownBy(() -> TorchScriptLm.load(corrupt, Device.cpu(), DataType.FLOAT32, 64, "ts"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(corrupt.toString());
    assertThatThrownBy(() -> TorchScriptLm.load(tmp.resolve("absent.pt"), Device.cpu(), DataType.FLOAT32, 64, "ts"))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("absent.pt")
        .hasMessageContaining("does not exist");
  }

  @Test
  void should_generate_words_with_a_hugging_face_tokenizer() {
    JsonNode wl = expected.path("tiny-gpt-wordlevel.pt");
    ModelAdapter a =
        adapter(
            ModelSpec.builder("words", "djl")
                .option("path", DIR.resolve("tiny-gpt-wordlevel.pt").toString())
                .option("tokenizer", DIR.resolve("tokenizer.json").toString())
                .option("context_length", 64));
    a.load();

    String text = a.generate(GenerateRequest.builder().prompt("the king").temperature(0).maxTokens(10).build()).text();

    assertThat(text.strip()).isEqualTo(wl.path("greedy_10_text").asText());
  }

  @Test
  void should_refuse_a_tokenizer_larger_than_the_model_naming_the_files() {
    ModelAdapter a =
        adapter(
            ModelSpec.builder("words", "djl")
                .option("path", DIR.resolve("tiny-gpt-wordlevel.pt").toString())
                .option("tokenizer", DIR.resolve("tokenizer-too-big.json").toString())
                .option("context_length", 64));

    assertThatThrownBy(a::load)
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("48 tokens")
        .hasMessageContaining("only 40 logits")
        .hasMessageContaining("tokenizer-too-big.json");
    assertThat(a.isLoaded()).isFalse();
  }

  @Test
  void should_require_a_tokenizer_for_a_torchscript_model() {
    ModelAdapter a = adapter(ModelSpec.builder("t", "djl").option("path", DIR.resolve("tiny-gpt.pt").toString()));

    assertThatThrownBy(a::load).isInstanceOf(ModelLoadException.class).hasMessageContaining("tokenizer: byte");
  }

  @Test
  void should_serve_a_torchscript_model_with_the_byte_tokenizer_through_the_adapter() {
    JsonNode hello = expected.path("tiny-gpt.pt").path("prompts").path("Hello");
    ModelAdapter a =
        adapter(
            ModelSpec.builder("t", "djl")
                .option("path", DIR.resolve("tiny-gpt.pt").toString())
                .option("tokenizer", "byte")
                .option("context_length", 64));
    a.load();

    var c = a.generate(GenerateRequest.builder().prompt("Hello").temperature(0).maxTokens(20).build());

    assertThat(c.usage().get().completionTokens()).isEqualTo(20);
    byte[] bytes = new byte[20];
    int[] ids = ints(hello.path("greedy_20"));
    for (int i = 0; i < 20; i++) {
      bytes[i] = (byte) ids[i];
    }
    assertThat(c.text()).isEqualTo(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
  }

  private static List<List<Integer>> greedy(CausalLm lm, List<int[]> prompts, int steps) {
    List<List<Integer>> out = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      out.add(new ArrayList<>());
    }
    try (CausalLm.Decoder d = lm.start(prompts)) {
      for (int s = 0; s < steps; s++) {
        int[] next = new int[prompts.size()];
        for (int r = 0; r < next.length; r++) {
          next[r] = Sampler.argMax(d.logits()[r], lm.vocabSize());
          out.get(r).add(next[r]);
        }
        d.advance(next);
      }
    }
    return out;
  }

  private static Integer[] boxed(int[] a) {
    return java.util.Arrays.stream(a).boxed().toArray(Integer[]::new);
  }
}
