package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.GenerateRequest;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tiny LM the project ships, trained on Shakespeare, served from the class path. */
class ShippedModelTest {
  static final Path DIR = Path.of("src/main/resources/models/tiny-lm");
  static ModelAdapter model;

  @BeforeAll
  static void load() {
    model =
        new DjlModelFactory()
            .create(
                ModelSpec.builder("tiny-lm", "djl")
                    .option("path", "classpath:/models/tiny-lm")
                    .option("max_batch_size", 1)
                    .device("cpu")
                    .build());
    model.load();
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void should_continue_greedily_with_the_recorded_text() {
    String text =
        model.generate(GenerateRequest.builder().prompt("ROMEO:\n").temperature(0).maxTokens(60).build()).text();

    assertThat(text).isEqualTo("And then the courter, and the sease of the world\nThe state o");
  }

  @Test
  void should_write_shakespeare_shaped_english_when_sampling() {
    String text =
        model.generate(GenerateRequest.builder().prompt("JULIET:\n").temperature(0.8).seed(1).maxTokens(400).build()).text();

    long letters = text.chars().filter(c -> Character.isLetter(c) || c == ' ' || c == '\n').count();
    assertThat(letters).as("mostly letters, spaces and lines").isGreaterThan(text.length() * 85L / 100);
    assertThat(text.split("\\s+")).as("words of ordinary length").allSatisfy(w -> assertThat(w.length()).isLessThan(20));
    assertThat(text).containsPattern("(?m)^[A-Z][A-Z ]+:$"); // a speaker's name on its own line
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"mistralai/Mistral-7B-v0.1", "ns:model", "my model", "модель-ü 日本", "..", "a/../../b"})
  void should_load_from_the_class_path_under_any_id_a_model_may_have(String id) {
    ModelAdapter named =
        new DjlModelFactory().create(ModelSpec.builder(id, "djl").option("path", "classpath:/models/tiny-lm").option("max_batch_size", 1).device("cpu").build());
    try {
      named.load();

      assertThat(named.generate(GenerateRequest.builder().prompt("ROMEO:\n").temperature(0).maxTokens(60).build()).text())
          .isEqualTo("And then the courter, and the sease of the world\nThe state o");
    } finally {
      named.close();
    }
  }

  @Test
  void should_make_a_file_name_part_of_any_id() {
    assertThat(DjlAdapter.fileNamePart("mistralai/Mistral-7B-v0.1")).isEqualTo("mistralai_Mistral-7B-v0.1");
    assertThat(DjlAdapter.fileNamePart("a/../../b c:ü")).isEqualTo("a_.._.._b_c__");
    assertThat(DjlAdapter.fileNamePart("x".repeat(300))).hasSize(64);
  }

  @Test
  void should_be_small_and_say_how_it_was_made() throws Exception {
    long bytes = Files.size(DIR.resolve("tiny-lm-0000.params"));

    assertThat(bytes).isLessThanOrEqualTo(8L << 20);
    assertThat(Files.readString(DIR.resolve("training.json")))
        .contains("tinyshakespeare.txt")
        .contains("\"command\" : \"TinyLmTrainer --data");
  }
}
