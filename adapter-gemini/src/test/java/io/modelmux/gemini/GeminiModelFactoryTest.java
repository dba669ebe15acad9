package io.modelmux.gemini;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ConfigException;
import io.modelmux.spi.Capability;
import io.modelmux.spi.ModelAdapter;
import io.modelmux.spi.ModelFactories;
import io.modelmux.spi.ModelSpec;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The {@code gemini} type's options, checked when an adapter is created. */
class GeminiModelFactoryTest {
  static final String KEY = "AIzaSyFACTORY-secret-0123456789";

  private static Function<String, String> env(Map<String, String> variables) {
    return variables::get;
  }

  private static GeminiSettings settings(ModelSpec.Builder spec, Map<String, String> variables) {
    return GeminiSettings.from(spec.build(), env(variables));
  }

  private static ModelSpec.Builder spec() {
    return ModelSpec.builder("gemini-2.0-flash", "gemini");
  }

  @Test
  void should_be_found_by_the_service_loader_as_type_gemini() {
    ModelFactories factories = ModelFactories.discover();

    assertThat(factories.types()).contains("gemini");
    assertThat(factories.get("gemini")).isInstanceOf(GeminiModelFactory.class);
  }

  @Test
  void should_create_an_unloaded_streaming_chat_adapter_without_touching_the_network() {
    ModelAdapter a = new GeminiModelFactory(env(Map.of("GEMINI_API_KEY", KEY))).create(spec().build());

    assertThat(a.isLoaded()).isFalse();
    assertThat(a.info().type()).isEqualTo("gemini");
    assertThat(a.info().supports(Capability.STREAMING)).isTrue();
    assertThat(a.info().supports(Capability.CHAT)).isTrue();
    assertThat(a.footprint().totalBytes()).isZero();
    a.close();
  }

  @Test
  void should_read_gemini_api_key_first_and_then_google_api_key() {
    assertThat(settings(spec(), Map.of("GEMINI_API_KEY", KEY, "GOOGLE_API_KEY", "other")).apiKey()).isEqualTo(KEY);
    assertThat(settings(spec(), Map.of("GOOGLE_API_KEY", KEY)))
        .satisfies(s -> {
          assertThat(s.apiKey()).isEqualTo(KEY);
          assertThat(s.apiKeySource()).isEqualTo("environment variable GOOGLE_API_KEY");
        });
    assertThat(settings(spec(), Map.of("GEMINI_API_KEY", " ", "GOOGLE_API_KEY", KEY)).apiKey()).isEqualTo(KEY);
  }

  @Test
  void should_prefer_api_key_and_then_api_key_env_over_the_default_variables() {
    assertThat(settings(spec().option("api_key", KEY), Map.of("GEMINI_API_KEY", "other")).apiKey()).isEqualTo(KEY);
    assertThat(settings(spec().option("api_key_env", "TEAM_KEY"), Map.of("TEAM_KEY", KEY, "GEMINI_API_KEY", "other")))
        .satisfies(s -> {
          assertThat(s.apiKey()).isEqualTo(KEY);
          assertThat(s.apiKeySource()).isEqualTo("environment variable TEAM_KEY");
        });
  }

  @Test
  void should_fail_at_create_naming_both_variables_when_no_key_is_set() {
    assertThatThrownBy(() -> new GeminiModelFactory(env(Map.of())).create(spec().build()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("GEMINI_API_KEY")
        .hasMessageContaining("GOOGLE_API_KEY")
        .hasMessageContaining("model 'gemini-2.0-flash'");
  }

  @Test
  void should_fail_at_create_when_the_variable_named_by_api_key_env_is_unset() {
    assertThatThrownBy(() -> settings(spec().option("api_key_env", "TEAM_KEY"), Map.of("GEMINI_API_KEY", KEY)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("TEAM_KEY, which is not set");
  }

  @Test
  void should_default_the_model_to_the_id_and_the_base_url_to_googles_root() {
    GeminiSettings s = settings(spec(), Map.of("GEMINI_API_KEY", KEY));

    assertThat(s.model()).isEqualTo("gemini-2.0-flash");
    assertThat(s.baseUrl()).hasToString("https://generativelanguage.googleapis.com");
    assertThat(s.modelUri(":generateContent"))
        .hasToString("https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent");
  }

  @Test
  void should_accept_a_proxy_root_and_the_models_prefix() {
    GeminiSettings s =
        settings(
            spec().option("base_url", "http://proxy.internal:8080/gemini/").option("model", "models/gemini-1.5-pro-002"),
            Map.of("GEMINI_API_KEY", KEY));

    assertThat(s.modelUri(":streamGenerateContent?alt=sse"))
        .hasToString("http://proxy.internal:8080/gemini/v1beta/models/gemini-1.5-pro-002:streamGenerateContent?alt=sse");
  }

  @Test
  void should_use_the_timeout_names_and_defaults_of_adapter_http() {
    GeminiSettings defaults = settings(spec(), Map.of("GEMINI_API_KEY", KEY));
    GeminiSettings set =
        settings(
            spec().option("connect_timeout", "1s").option("first_byte_timeout", "2s").option("idle_timeout", "3s")
                .option("total_timeout", "4m"),
            Map.of("GEMINI_API_KEY", KEY));

    assertThat(defaults.http().connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(defaults.http().firstByteTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(defaults.http().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(defaults.http().totalTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(set.http().connectTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(set.http().firstByteTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(set.http().idleTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(set.http().totalTimeout()).isEqualTo(Duration.ofMinutes(4));
    assertThatThrownBy(() -> settings(spec().option("idle_timeout", "0s"), Map.of("GEMINI_API_KEY", KEY)))
        .hasMessageContaining("idle_timeout")
        .hasMessageContaining("must be positive");
  }

  @Test
  void should_refuse_a_base_url_with_a_version_a_query_or_another_scheme() {
    Map<String, String> env = Map.of("GEMINI_API_KEY", KEY);

    assertThatThrownBy(() -> settings(spec().option("base_url", "https://generativelanguage.googleapis.com/v1beta"), env))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("appends /v1beta/models");
    assertThatThrownBy(() -> settings(spec().option("base_url", "https://generativelanguage.googleapis.com/?key=" + KEY), env))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("without credentials, query or fragment")
        .hasMessageNotContaining(KEY);
    assertThatThrownBy(() -> settings(spec().option("base_url", "ftp://example.com"), env))
        .hasMessageContaining("http or https URL");
  }

  @Test
  void should_refuse_a_model_name_that_cannot_stand_in_a_url() {
    assertThatThrownBy(() -> settings(spec().option("model", "gemini flash:latest"), Map.of("GEMINI_API_KEY", KEY)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("Gemini model name");
    assertThatThrownBy(() -> settings(ModelSpec.builder("my model", "gemini"), Map.of("GEMINI_API_KEY", KEY)))
        .hasMessageContaining("set 'model'");
  }

  @Test
  void should_keep_the_key_out_of_to_string_and_config_errors() {
    GeminiSettings s = settings(spec().option("api_key", KEY), Map.of());

    assertThat(s.toString()).doesNotContain(KEY).contains("option api_key");
    assertThat(new GeminiModelFactory(env(Map.of())).create(spec().option("api_key", KEY).build()).toString())
        .doesNotContain(KEY);
    assertThatThrownBy(() -> settings(spec().option("api_key", KEY).option("total_timeout", "-1s"), Map.of()))
        .hasMessageNotContaining(KEY);
  }
}
