package io.modelmux.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ConfigException;
import org.junit.jupiter.api.Test;

class SamplingDefaultsTest {

  private static SamplingDefaults read(String key, Object value) {
    return SamplingDefaults.of(ModelSpec.builder("m", "local").option(key, value).build());
  }

  @Test
  void should_default_to_what_llama_cpp_and_most_samplers_use() {
    assertThat(SamplingDefaults.of(ModelSpec.builder("m", "local").build()))
        .isEqualTo(new SamplingDefaults(0.8, 40, 0.95));
  }

  @Test
  void should_take_the_options_a_model_gives_at_their_bounds() {
    assertThat(read("temperature", 0).temperature()).isZero();
    assertThat(read("top_k", 0).topK()).isZero();
    assertThat(read("top_p", 1).topP()).isEqualTo(1.0);
  }

  @Test
  void should_refuse_each_value_out_of_range_naming_the_option_and_the_value() {
    assertThatThrownBy(() -> read("temperature", -0.5)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("temperature").hasMessageContaining("must be finite and not negative, got -0.5");
    assertThatThrownBy(() -> read("temperature", "NaN")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("temperature");
    assertThatThrownBy(() -> read("top_k", -1)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("top_k").hasMessageContaining("got -1");
    assertThatThrownBy(() -> read("top_p", 0)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("top_p").hasMessageContaining("must be in (0, 1], got 0.0");
    assertThatThrownBy(() -> read("top_p", 1.5)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("top_p").hasMessageContaining("got 1.5");
  }
}
