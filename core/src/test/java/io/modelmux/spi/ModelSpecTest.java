package io.modelmux.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ConfigException;
import io.modelmux.ConfigLocation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelSpecTest {
  private final ModelSpec spec =
      ModelSpec.builder("llama", "openai")
          .version("2")
          .option("base_url", "http://x/v1")
          .option("port", 8000)
          .option("ratio", 0.5)
          .option("stream", true)
          .option("timeout", "30s")
          .option("cache", "512MiB")
          .option("stop", List.of("a", "b"))
          .option("headers", Map.of("X-A", "1"))
          .option("bad_int", "eight")
          .option("nested", List.of(List.of("x")))
          .optionLocation("bad_int", new ConfigLocation("models.yaml", 7, 14))
          .source(new ConfigLocation("models.yaml", 3, 5), "models[1]")
          .tags("chat", "code")
          .build();

  @Test
  void should_read_typed_options() {
    assertThat(spec.ref().toString()).isEqualTo("llama@2");
    assertThat(spec.requiredOptionString("base_url")).isEqualTo("http://x/v1");
    assertThat(spec.optionInt("port")).hasValue(8000);
    assertThat(spec.optionString("port")).contains("8000");
    assertThat(spec.optionDouble("ratio")).hasValue(0.5);
    assertThat(spec.optionBoolean("stream")).contains(true);
    assertThat(spec.optionDuration("timeout")).contains(Duration.ofSeconds(30));
    assertThat(spec.optionBytes("cache")).hasValue(512L << 20);
    assertThat(spec.optionStrings("stop")).containsExactly("a", "b");
    assertThat(spec.optionStrings("base_url")).containsExactly("http://x/v1");
    assertThat(spec.optionStringMap("headers")).containsEntry("X-A", "1");
    assertThat(spec.optionInt("absent")).isEmpty();
    assertThat(spec.optionStrings("absent")).isEmpty();
    assertThat(spec.tags()).containsExactly("chat", "code");
  }

  @Test
  void should_locate_a_wrong_option_type_at_the_option() {
    assertThatThrownBy(() -> spec.optionInt("bad_int"))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.location()).contains(new ConfigLocation("models.yaml", 7, 14));
              assertThat(e.path()).contains("models[1].bad_int");
              assertThat(e.modelId()).contains("llama");
            })
        .hasMessage(
            "models.yaml:7:14: models[1].bad_int: option 'bad_int' of model 'llama' must be a"
                + " whole number, got 'eight'");
  }

  @Test
  void should_locate_other_errors_at_the_model_when_the_option_has_no_location() {
    assertThatThrownBy(() -> spec.requiredOptionString("api_key"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("models.yaml:3:5: models[1].api_key: option 'api_key'")
        .hasMessageContaining("is required for type 'openai'");
    assertThatThrownBy(() -> spec.optionBoolean("port")).hasMessageContaining("must be true or false");
    assertThatThrownBy(() -> spec.optionDuration("stop")).hasMessageContaining("duration");
    assertThatThrownBy(() -> spec.optionBytes("base_url")).hasMessageContaining("not a size");
    assertThatThrownBy(() -> spec.optionString("stop")).hasMessageContaining("not a list");
    assertThatThrownBy(() -> spec.optionStringMap("port")).hasMessageContaining("map");
    assertThatThrownBy(() -> spec.optionStrings("nested")).hasMessageContaining("single values");
  }

  @Test
  void should_check_builder_arguments_at_once() {
    assertThatThrownBy(() -> ModelSpec.builder("a@b", "echo"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'@'");
    assertThatThrownBy(() -> ModelSpec.builder("a", "Echo"))
        .hasMessageContaining("type must be lower case");
    assertThatThrownBy(() -> ModelSpec.builder("a", "echo").version(" "))
        .hasMessageContaining("version must not be blank");
    assertThatThrownBy(() -> ModelSpec.builder("a", "echo").memoryBytes(0))
        .hasMessageContaining("memoryBytes must be positive, got 0");
    assertThatThrownBy(() -> ModelSpec.builder("a", "echo").maxConcurrency(0))
        .hasMessageContaining("maxConcurrency must be at least 1, got 0");
    assertThatThrownBy(() -> ModelSpec.builder("a", "echo").option("k", new Object()))
        .hasMessageContaining("must be a String, Number, Boolean, List or Map");
  }

  @Test
  void should_keep_secrets_out_of_to_string() {
    ModelSpec withKey = ModelSpec.builder("m", "openai").option("api_key", "sk-secret").build();

    assertThat(withKey.toString()).doesNotContain("sk-secret").contains("m@latest");
  }

  @Test
  void should_hide_the_value_of_a_secret_option_in_errors() {
    ModelSpec withKey = ModelSpec.builder("m", "openai").option("api_key", List.of("sk-secret")).build();

    assertThatThrownBy(() -> withKey.optionString("api_key")).hasMessageNotContaining("sk-secret");
    ModelSpec scalar = ModelSpec.builder("m", "openai").option("api_key", "sk-secret").build();
    assertThatThrownBy(() -> scalar.optionInt("api_key"))
        .hasMessageNotContaining("sk-secret")
        .hasMessageContaining("value that is not shown");
  }

  @Test
  void should_treat_as_secret_only_the_options_named_for_credentials() {
    assertThat(List.of("api_key", "auth_token", "client-secret", "password", "extra_headers", "headers", "x.key", "cookie"))
        .allMatch(ModelSpec::isSecretOption);
    assertThat(List.of("max_tokens", "api_key_env", "tokenizer", "key_path", "base_url", "model", "monkey", "keys"))
        .noneMatch(ModelSpec::isSecretOption);
  }

  @Test
  void should_quote_a_wrong_value_of_an_option_that_is_not_secret() {
    ModelSpec spec = ModelSpec.builder("m", "openai").option("max_tokens", "lots").build();

    assertThatThrownBy(() -> spec.optionInt("max_tokens")).hasMessageContaining("got 'lots'");
  }

  @Test
  void should_not_quote_a_headers_value_of_the_wrong_shape() {
    ModelSpec spec = ModelSpec.builder("m", "openai").option("headers", "Authorization: Bearer sk-secret-42").build();

    assertThatThrownBy(() -> spec.optionStringMap("headers"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("must be a map of names to values")
        .hasMessageNotContaining("sk-secret-42");
  }

  @Test
  void should_blank_every_secret_value_from_any_option_error() {
    ModelSpec spec =
        ModelSpec.builder("m", "openai")
            .option("api_key", "sk-secret-42")
            .option("headers", Map.of("X-Token", "tok-secret-7"))
            .build();

    assertThat(spec.optionError("base_url", "echoes sk-secret-42 and tok-secret-7").getMessage())
        .doesNotContain("sk-secret-42")
        .doesNotContain("tok-secret-7")
        .contains("(secret hidden)");
    assertThat(spec.specError("failed: sk-secret-42", new IllegalStateException("cause sk-secret-42")))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("sk-secret-42"))
        .satisfies(e -> assertThat(e.getCause().getMessage()).doesNotContain("sk-secret-42"));
    assertThat(spec.secrets().redact("sk-secret-42 tok-secret-7")).isEqualTo("(secret hidden) (secret hidden)");
  }

  @Test
  void should_cut_a_huge_value_in_an_error() {
    ModelSpec spec = ModelSpec.builder("m", "openai").option("max_tokens", "9".repeat(1_000_000) + "x").build();

    assertThatThrownBy(() -> spec.optionInt("max_tokens"))
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(500).contains("(cut: 999,801 more characters)"));
  }

  @Test
  void should_locate_a_common_key_at_its_value() {
    ConfigLocation model = new ConfigLocation("models.yaml", 3, 5);
    ConfigLocation type = new ConfigLocation("models.yaml", 4, 11);
    ModelSpec spec = ModelSpec.builder("m", "opnai").source(model, "models[0]").optionLocation("type", type).build();

    assertThat(spec.locationOf("type")).contains(type);
    assertThat(spec.locationOf("version")).contains(model);
  }

  @Test
  void should_point_a_common_key_given_as_an_option_at_its_setter() {
    ModelSpec.Builder b = ModelSpec.builder("m", "djl");

    assertThatThrownBy(() -> b.option("device", "cpu")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("set it with .device(...)").hasMessageContaining("not a backend option");
    assertThatThrownBy(() -> b.option("pinned", true)).hasMessageContaining(".pinned(...)");
    assertThatThrownBy(() -> b.option("keep_alive", "5m")).hasMessageContaining(".keepAlive(...)");
    assertThatThrownBy(() -> b.option("version", "2")).hasMessageContaining(".version(...)");
    assertThatThrownBy(() -> b.option("memory", "1GiB")).hasMessageContaining(".memoryBytes(...)");
  }

  @Test
  void should_copy_itself_into_a_builder() {
    ModelSpec copy = spec.toBuilder().version("3").build();

    assertThat(copy.ref().toString()).isEqualTo("llama@3");
    assertThat(copy.options()).isEqualTo(spec.options());
    assertThat(copy.location()).isEqualTo(spec.location());
  }
}
