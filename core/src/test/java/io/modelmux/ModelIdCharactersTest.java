package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.spi.ModelSpec;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every character a model id may hold works wherever an id is used: resolution, aliases, files, messages. */
class ModelIdCharactersTest {
  private MultiModelManager manager;

  @AfterEach
  void close() {
    if (manager != null) {
      manager.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mistralai/Mistral-7B-v0.1", "ns:model", "my model", "модель-ü", "日本語モデル", "a.b_c-d"})
  void should_serve_resolve_alias_stream_list_and_unregister_a_model_whatever_its_id(String id) throws Exception {
    manager = MultiModelManager.builder().environment(n -> null).model(ModelSpec.builder(id, "echo").version("v:1/α").build()).alias("short", id).build();

    assertThat(manager.generate(GenerateRequest.of(id, "hi")).text()).isEqualTo(id + "@v:1/α: hi");
    assertThat(manager.generate(GenerateRequest.of(id + "@v:1/α", "hi")).model()).isEqualTo(new ModelRef(id, "v:1/α"));
    assertThat(manager.generate(GenerateRequest.of("short", "hi")).model().id()).isEqualTo(id);
    assertThat(String.join("", manager.stream(GenerateRequest.of(id, "a b")))).isEqualTo(id + "@v:1/α: a b");
    assertThat(manager.models()).singleElement().satisfies(s -> assertThat(s.ref().id()).isEqualTo(id));
    assertThatThrownBy(() -> manager.resolve(id + "x")).isInstanceOf(UnknownModelException.class).hasMessageContaining("Known models: ").hasMessageContaining(", " + id + "@v:1/α");
    assertThat(manager.unregister(id)).containsExactly(new ModelRef(id, "v:1/α"));
  }

  @Test
  void should_read_such_ids_from_models_yaml() {
    ModelMuxConfig config =
        ModelMuxConfig.parse(
            "models:\n  - {id: \"mistralai/Mistral-7B-v0.1\", type: echo}\n  - {id: \"ns:model\", type: echo, version: \"2024:α\"}\n"
                + "aliases: {prod: \"ns:model@2024:α\"}\ndefault_model: \"mistralai/Mistral-7B-v0.1\"\n",
            "models.yaml", n -> null);

    assertThat(config.models()).extracting(ModelSpec::ref)
        .containsExactly(new ModelRef("mistralai/Mistral-7B-v0.1", "latest"), new ModelRef("ns:model", "2024:α"));
  }

  @Test
  void should_refuse_ids_with_control_or_invisible_characters() {
    for (String id : List.of("a\nb", "a\tb", "a\u202Eb", "a\u0000b")) {
      assertThatThrownBy(() -> new ModelRef(id, "1")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control or invisible");
    }
  }

}
