package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.ConfigException;
import io.modelmux.MemoryConfig.Amount;
import io.modelmux.ModelMuxConfig;
import io.modelmux.MultiModelManager;
import io.modelmux.RouteConfig;
import io.modelmux.RouteStatus;
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
        .containsExactly("tiny-lm@1 djl", "tiny-lm@2 djl", "tiny-gguf@latest llamacpp", "llama-8b@latest openai");
    ModelSpec tiny = config.models().get(0);
    assertThat(tiny.options()).containsEntry("path", "classpath:/models/tiny-lm");
    assertThat(tiny.tags()).containsExactly("chat");
    assertThat(tiny.overflowTo()).containsExactly("llama-8b");
    assertThat(config.models().get(1).options()).containsEntry("dtype", "float16");
    assertThat(config.aliases()).containsExactly(Map.entry("prod", "tiny-lm@1"));
    assertThat(config.routes()).extracting(RouteConfig::name).containsExactly("chat", "chat-canary", "shadowed", "auto");
    assertThat(config.routes()).extracting(RouteConfig::policy)
        .containsExactly(RouteConfig.Policy.SPLIT, RouteConfig.Policy.CANARY, RouteConfig.Policy.SPLIT, RouteConfig.Policy.AUTO);
    assertThat(config.routes().get(0).split())
        .containsExactly(Map.entry("tiny-lm@1", 90), Map.entry("tiny-lm@2", 10));
    assertThat(config.routes().get(2).shadow()).isPresent();
    assertThat(config.routes().get(0).fallbacks()).containsExactly("llama-8b");
    assertThat(config.routes().get(0).onContextLength()).hasValue("llama-8b");
    ModelSpec remote = config.models().get(3);
    assertThat(remote.maxConcurrency()).hasValue(16);
    assertThat(remote.maxQueue()).isEqualTo(64);
    assertThat(remote.retry().maxBackoff()).isEqualTo(Duration.ofSeconds(20));
    assertThat(remote.circuitBreaker().openFor()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.memory().budget()).contains(Amount.ofBytes(2L << 30));
    assertThat(config.memory().keepAlive()).contains(Duration.ofMinutes(5));
    assertThat(config.cache()).contains(new io.modelmux.CacheConfig(10_000, 64L << 20, Duration.ofMinutes(10)));
    assertThat(tiny.prices()).contains(new io.modelmux.spi.Prices(0.01, 0.02));
    assertThat(remote.prices()).contains(new io.modelmux.spi.Prices(0.15, 0.60));
    assertThat(remote.spendLimit()).contains(io.modelmux.SpendLimit.per(5, Duration.ofDays(1)));
    assertThat(config.routes().get(0).spendLimit()).contains(io.modelmux.SpendLimit.perMonth(20));
    assertThat(config.costReference()).contains("llama-8b");
    io.modelmux.BenchmarkConfig bench = config.benchmark().orElseThrow();
    assertThat(bench.every()).isEqualTo(1000);
    assertThat(bench.out()).isEqualTo(SAMPLE.toAbsolutePath().getParent().resolve("benchmark.jsonl"));
    assertThat(bench.prompts()).isEqualTo(io.modelmux.BenchmarkConfig.DEFAULT_PROMPTS);
  }

  @Test
  void should_build_a_manager_from_the_sample_with_every_option_accepted_by_its_backend() {
    try (MultiModelManager manager =
        MultiModelManager.builder().config(SAMPLE).environment(name -> null).build()) {
      assertThat(manager.models())
          .extracting(s -> s.ref().toString())
          .containsExactly("tiny-lm@1", "tiny-lm@2", "tiny-gguf@latest", "llama-8b@latest");
      assertThat(manager.resolve("prod").version()).isEqualTo("1");
      assertThat(manager.routes()).extracting(RouteStatus::name).containsExactly("chat", "chat-canary", "shadowed", "auto");
    }
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
