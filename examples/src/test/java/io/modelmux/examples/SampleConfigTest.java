package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ConfigException;
import io.modelmux.MemoryConfig.Amount;
import io.modelmux.ModelMuxConfig;
import io.modelmux.RouteConfig;
import io.modelmux.spi.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Checks that the sample {@code models.yaml} of this module stays valid and says what it shows. */
class SampleConfigTest {
  private static final Path SAMPLE = Path.of("models.yaml");

  @Test
  void should_load_the_sample_with_an_empty_environment() {
    ModelMuxConfig config = ModelMuxConfig.load(SAMPLE, name -> null);

    assertThat(config.defaultModel()).contains("tiny-lm");
    assertThat(config.models())
        .extracting(m -> m.ref() + " " + m.type())
        .containsExactly(
            "tiny-lm@1 djl",
            "tiny-lm@2 djl",
            "llama-8b@latest openai",
            "gemini-flash@latest gemini");
    ModelSpec tiny = config.models().get(0);
    assertThat(tiny.options()).containsEntry("path", "classpath:/models/tiny-lm");
    assertThat(tiny.tags()).containsExactly("chat");
    ModelSpec llama = config.models().get(2);
    assertThat(llama.options())
        .containsEntry("base_url", "http://localhost:8000/v1")
        .containsEntry("api_key", "");
    assertThat(config.models().get(3).options())
        .containsEntry("model", "gemini-2.0-flash")
        .containsEntry("api_key", "");
    assertThat(config.aliases()).containsExactly(Map.entry("prod", "tiny-lm@1"));
    assertThat(config.routes()).extracting(RouteConfig::name).containsExactly("chat");
    assertThat(config.routes().get(0).split())
        .containsExactly(Map.entry("tiny-lm@1", 90), Map.entry("tiny-lm@2", 10));
    assertThat(config.routes().get(0).fallbacks()).containsExactly("llama-8b", "gemini-flash");
    assertThat(config.memory().budget()).contains(Amount.ofBytes(2L << 30));
    assertThat(config.memory().keepAlive()).contains(Duration.ofMinutes(5));
    assertThat(config.cache())
        .hasValueSatisfying(c -> assertThat(c.ttl()).isEqualTo(Duration.ofMinutes(10)));
  }

  @Test
  void should_take_api_keys_from_the_environment() {
    Map<String, String> env = Map.of("VLLM_API_KEY", "vllm-key", "GEMINI_API_KEY", "gemini-key");

    ModelMuxConfig config = ModelMuxConfig.load(SAMPLE, env::get);

    assertThat(config.models().get(2).options()).containsEntry("api_key", "vllm-key");
    assertThat(config.models().get(3).options()).containsEntry("api_key", "gemini-key");
  }

  @Test
  void should_load_the_sample_with_the_process_environment() {
    assertThat(ModelMuxConfig.load(SAMPLE).models()).hasSize(4);
  }

  @Test
  void should_fail_as_the_sample_comment_says_on_a_misspelt_key() throws Exception {
    String misspelt = Files.readString(SAMPLE).replace("  budget: 2GiB", "  budgett: 2GiB");

    assertThatThrownBy(() -> ModelMuxConfig.parse(misspelt, "models.yaml", name -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "models.yaml:25:3: memory.budgett: unknown key 'budgett'; did you mean 'budget'?");
  }
}
