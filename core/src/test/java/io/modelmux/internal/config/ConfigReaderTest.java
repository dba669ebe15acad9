package io.modelmux.internal.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.CacheConfig;
import io.modelmux.ConfigException;
import io.modelmux.ConfigLocation;
import io.modelmux.MemoryConfig;
import io.modelmux.MemoryConfig.Amount;
import io.modelmux.ModelMuxConfig;
import io.modelmux.RouteConfig;
import io.modelmux.spi.ModelSpec;
import io.modelmux.spi.Prices;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigReaderTest {
  private static final String SECRET = "sk-secret";

  /** The sample of DESIGN.md, with a second version of tiny-lm that its route needs. */
  private static final String DESIGN_SAMPLE =
      """
      default_model: tiny-lm
      memory: {budget: 2GiB, headroom: 10%, keep_alive: 5m, max_loaded_models: 4, eviction: lru}
      models:
        - {id: tiny-lm, type: djl, version: "1", path: "classpath:/models/tiny-lm", tags: [chat]}
        - {id: tiny-lm, type: djl, version: "2"}
        - {id: llama-8b, type: openai, base_url: "http://vllm-a:8000/v1", api_key: "${VLLM_API_KEY}"}
        - {id: gemini-flash, type: gemini, model: gemini-2.0-flash, api_key: "${GEMINI_API_KEY}"}
      aliases: {prod: tiny-lm@1}
      routes:
        - {name: chat, split: {tiny-lm@1: 90, tiny-lm@2: 10}, fallbacks: [llama-8b, gemini-flash]}
      cache: {max_entries: 10000, ttl: 10m}
      """;

  /** One model, for tests about the other sections. */
  private static final String ONE_MODEL = "models:\n  - {id: tiny-lm, type: djl}\n";

  private final Map<String, String> env = new HashMap<>();

  private ModelMuxConfig parse(String yaml) {
    return ModelMuxConfig.parse(yaml, "models.yaml", env::get);
  }

  private ConfigException errorOf(String yaml) {
    try {
      parse(yaml);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("expected a ConfigException for:\n" + yaml);
  }

  private static ConfigLocation at(int line, int column) {
    return new ConfigLocation("models.yaml", line, column);
  }

  // ---- valid files ------------------------------------------------------------------------

  @Test
  void should_parse_the_design_sample_into_typed_values() {
    env.put("VLLM_API_KEY", "vllm-key");
    env.put("GEMINI_API_KEY", "gemini-key");

    ModelMuxConfig config = parse(DESIGN_SAMPLE);

    assertThat(config.defaultModel()).contains("tiny-lm");
    MemoryConfig memory = config.memory();
    assertThat(memory.budget()).contains(Amount.ofBytes(2L << 30));
    assertThat(memory.headroom()).contains(Amount.ofFraction(0.10));
    assertThat(memory.keepAlive()).contains(Duration.ofMinutes(5));
    assertThat(memory.maxLoadedModels()).hasValue(4);
    assertThat(memory.eviction()).isEqualTo("lru");
    assertThat(memory.pools()).isEmpty();

    assertThat(config.models())
        .extracting(m -> m.ref().toString())
        .containsExactly("tiny-lm@1", "tiny-lm@2", "llama-8b@latest", "gemini-flash@latest");
    ModelSpec tiny = config.models().get(0);
    assertThat(tiny.type()).isEqualTo("djl");
    assertThat(tiny.options()).containsExactly(Map.entry("path", "classpath:/models/tiny-lm"));
    assertThat(tiny.tags()).containsExactly("chat");
    assertThat(tiny.location()).contains(at(4, 5));
    assertThat(tiny.path()).isEqualTo("models[0]");
    ModelSpec llama = config.models().get(2);
    assertThat(llama.type()).isEqualTo("openai");
    assertThat(llama.requiredOptionString("base_url")).isEqualTo("http://vllm-a:8000/v1");
    assertThat(llama.requiredOptionString("api_key")).isEqualTo("vllm-key");
    ModelSpec gemini = config.models().get(3);
    assertThat(gemini.options())
        .containsEntry("model", "gemini-2.0-flash")
        .containsEntry("api_key", "gemini-key");

    assertThat(config.aliases()).containsExactly(Map.entry("prod", "tiny-lm@1"));
    assertThat(config.routes()).hasSize(1);
    RouteConfig chat = config.routes().get(0);
    assertThat(chat.name()).isEqualTo("chat");
    assertThat(chat.split())
        .containsExactly(Map.entry("tiny-lm@1", 90), Map.entry("tiny-lm@2", 10));
    assertThat(chat.fallbacks()).containsExactly("llama-8b", "gemini-flash");
    assertThat(config.cache()).contains(new CacheConfig(10_000, Duration.ofMinutes(10)));
  }

  @Test
  void should_read_every_common_model_key() {
    String yaml =
        """
        models:
          - id: llama-8b
            type: openai
            version: 3
            tags: chat
            memory: 512MiB
            device: "cuda:0"
            pinned: true
            priority: -2
            max_concurrency: 8
            price: {input: 0.15, output: 1}
            keep_alive: -1
        """;

    ModelSpec spec = parse(yaml).models().get(0);

    assertThat(spec.version()).isEqualTo("3");
    assertThat(spec.tags()).containsExactly("chat");
    assertThat(spec.memoryBytes()).hasValue(512L << 20);
    assertThat(spec.device()).contains("cuda:0");
    assertThat(spec.pinned()).isTrue();
    assertThat(spec.priority()).isEqualTo(-2);
    assertThat(spec.maxConcurrency()).hasValue(8);
    assertThat(spec.prices()).contains(new Prices(0.15, 1.0));
    assertThat(spec.keepAlive()).hasValueSatisfying(d -> assertThat(d).isNegative());
    assertThat(spec.options()).isEmpty();
  }

  @Test
  void should_leave_model_fields_unset_when_not_written() {
    ModelSpec spec = parse(ONE_MODEL).models().get(0);

    assertThat(spec.version()).isEqualTo(ModelSpec.DEFAULT_VERSION);
    assertThat(spec.tags()).isEmpty();
    assertThat(spec.memoryBytes()).isEmpty();
    assertThat(spec.device()).isEmpty();
    assertThat(spec.pinned()).isFalse();
    assertThat(spec.maxConcurrency()).isEmpty();
    assertThat(spec.prices()).isEmpty();
    assertThat(spec.keepAlive()).isEmpty();
  }

  @Test
  void should_put_other_model_keys_in_options_with_their_locations() {
    String yaml =
        """
        models:
          - id: llama-8b
            type: openai
            base_url: http://localhost:8000/v1
            port: 8000
            big: 12345678901
            temperature: 0.7
            stream: false
            stop: [a, 2]
            headers:
              X-Team: search
              X-Retries: 3
        """;

    ModelSpec spec = parse(yaml).models().get(0);

    assertThat(spec.options())
        .containsOnlyKeys("base_url", "port", "big", "temperature", "stream", "stop", "headers");
    assertThat(spec.options().get("base_url")).isEqualTo("http://localhost:8000/v1");
    assertThat(spec.options().get("port")).isEqualTo(8000);
    assertThat(spec.options().get("big")).isEqualTo(12_345_678_901L);
    assertThat(spec.options().get("temperature")).isEqualTo(0.7);
    assertThat(spec.options().get("stream")).isEqualTo(false);
    assertThat(spec.options().get("stop")).isEqualTo(List.of("a", 2));
    assertThat(spec.options().get("headers")).isEqualTo(Map.of("X-Team", "search", "X-Retries", 3));
    assertThat(spec.optionStringMap("headers")).containsEntry("X-Retries", "3");
    assertThat(spec.optionInt("port")).hasValue(8000);
    assertThat(spec.location()).contains(at(2, 5));
    assertThat(spec.optionError("port", "must be below 1024").location()).contains(at(5, 11));
    assertThat(spec.optionError("headers", "is wrong").location()).contains(at(11, 7));
    assertThat(spec.optionError("port", "must be below 1024"))
        .hasMessage(
            "models.yaml:5:11: models[0].port: option 'port' of model 'llama-8b' must be below"
                + " 1024");
  }

  @Test
  void should_read_memory_pools_and_percentages() {
    String yaml =
        ONE_MODEL
            + """
            memory:
              budget: 80%
              headroom: 512MB
              keep_alive: 0
              eviction: GDSF
              pools:
                host: 20GiB
                "cuda:0": 70GiB
                unified: 80%
            """;

    MemoryConfig memory = parse(yaml).memory();

    assertThat(memory.budget()).contains(Amount.ofFraction(0.8));
    assertThat(memory.headroom()).contains(Amount.ofBytes(512_000_000L));
    assertThat(memory.keepAlive()).contains(Duration.ZERO);
    assertThat(memory.maxLoadedModels()).isEmpty();
    assertThat(memory.eviction()).isEqualTo("gdsf");
    assertThat(memory.pools())
        .containsOnly(
            Map.entry("host", Amount.ofBytes(20L << 30)),
            Map.entry("cuda:0", Amount.ofBytes(70L << 30)),
            Map.entry("unified", Amount.ofFraction(0.8)));
  }

  @Test
  void should_use_defaults_for_sections_not_written() {
    ModelMuxConfig config = parse(ONE_MODEL);

    assertThat(config.defaultModel()).isEmpty();
    assertThat(config.memory()).isSameAs(MemoryConfig.defaults());
    assertThat(config.aliases()).isEmpty();
    assertThat(config.routes()).isEmpty();
    assertThat(config.cache()).isEmpty();
  }

  @Test
  void should_take_a_numeric_version_as_written() {
    String yaml =
        """
        models:
          - {id: a, type: djl, version: 1.10}
          - {id: a, type: djl, version: 1.1}
        """;

    assertThat(parse(yaml).models()).extracting(ModelSpec::version).containsExactly("1.10", "1.1");
  }

  @Test
  void should_accept_quoted_numbers_and_booleans_where_they_are_expected() {
    String yaml =
        """
        models:
          - {id: a, type: djl, max_concurrency: "4", priority: " -1 ", pinned: "TRUE"}
        memory: {max_loaded_models: "2"}
        cache: {max_entries: "100", ttl: "30"}
        """;

    ModelMuxConfig config = parse(yaml);

    ModelSpec spec = config.models().get(0);
    assertThat(spec.maxConcurrency()).hasValue(4);
    assertThat(spec.priority()).isEqualTo(-1);
    assertThat(spec.pinned()).isTrue();
    assertThat(config.memory().maxLoadedModels()).hasValue(2);
    assertThat(config.cache()).contains(new CacheConfig(100, Duration.ofSeconds(30)));
  }

  @Test
  void should_accept_aliases_and_versions_as_model_names() {
    String yaml =
        """
        default_model: prod
        models:
          - {id: tiny-lm, type: djl, version: "1"}
          - {id: tiny-lm, type: djl, version: "2"}
          - {id: llama-8b, type: openai}
        aliases: {prod: tiny-lm@1, big: llama-8b}
        routes:
          - {name: chat, split: {prod: 3, tiny-lm@2: 1}, fallbacks: [big, tiny-lm]}
          - name: code
            split: {llama-8b: 1}
        """;

    ModelMuxConfig config = parse(yaml);

    assertThat(config.defaultModel()).contains("prod");
    assertThat(config.aliases()).containsEntry("big", "llama-8b");
    assertThat(config.routes()).extracting(RouteConfig::name).containsExactly("chat", "code");
    assertThat(config.routes().get(0).fallbacks()).containsExactly("big", "tiny-lm");
    assertThat(config.routes().get(1).fallbacks()).isEmpty();
  }

  // ---- unknown keys -----------------------------------------------------------------------

  @Test
  void should_report_unknown_top_level_key_with_a_suggestion() {
    ConfigException e = errorOf(ONE_MODEL + "defualt_model: tiny-lm\n");

    assertThat(e)
        .hasMessage(
            "models.yaml:3:1: defualt_model: unknown key 'defualt_model'; did you mean"
                + " 'default_model'? Known keys: default_model, memory, models, aliases, routes,"
                + " cache, cost, benchmark");
    assertThat(e.location()).contains(at(3, 1));
    assertThat(e.path()).contains("defualt_model");
  }

  @Test
  void should_report_unknown_key_with_line_and_column() {
    ConfigException e = errorOf(ONE_MODEL + "memory:\n  keep_alive: 5m\n  budgett: 2GiB\n");

    assertThat(e)
        .hasMessage(
            "models.yaml:5:3: memory.budgett: unknown key 'budgett'; did you mean 'budget'? Known"
                + " keys: budget, headroom, keep_alive, max_loaded_models, eviction, pools");
    assertThat(e.location()).contains(at(5, 3));
  }

  @Test
  void should_list_known_keys_when_no_key_is_close() {
    assertThat(errorOf(ONE_MODEL + "cache: {max_entries: 10, ttl: 1m, zzzzzzzz: 1}\n"))
        .hasMessage(
            "models.yaml:3:35: cache.zzzzzzzz: unknown key 'zzzzzzzz'; known keys: max_entries,"
                + " max_bytes, ttl");
  }

  @Test
  void should_report_unknown_route_key() {
    String yaml =
        ONE_MODEL + "routes:\n  - name: chat\n    split: {tiny-lm: 1}\n    fallback: []\n";

    assertThat(errorOf(yaml))
        .hasMessageStartingWith(
            "models.yaml:6:5: routes[0].fallback: unknown key 'fallback'; did you mean"
                + " 'fallbacks'?");
  }

  @Test
  void should_report_unknown_cache_key() {
    assertThat(errorOf(ONE_MODEL + "cache: {max_entries: 10, tll: 1m}\n"))
        .hasMessageStartingWith(
            "models.yaml:3:26: cache.tll: unknown key 'tll'; did you mean 'ttl'?");
  }

  @Test
  void should_report_unknown_price_key() {
    String yaml = "models:\n  - id: a\n    type: djl\n    price: {input: 1, outptu: 2}\n";

    assertThat(errorOf(yaml))
        .hasMessageStartingWith(
            "models.yaml:4:23: models[0].price.outptu: unknown key 'outptu'; did you mean"
                + " 'output'?");
  }

  // ---- wrong types and values -------------------------------------------------------------

  @Test
  void should_report_a_wrong_type_at_the_value_with_its_path() {
    String yaml = "models:\n  - id: a\n    type: djl\n    pinned: yes-please\n";

    ConfigException e = errorOf(yaml);

    assertThat(e)
        .hasMessage(
            "models.yaml:4:13: models[0].pinned: expected true or false, found 'yes-please'");
    assertThat(e.location()).contains(at(4, 13));
    assertThat(e.path()).contains("models[0].pinned");
    assertThat(e.modelId()).contains("a");
  }

  @Test
  void should_report_a_list_where_a_map_is_expected() {
    assertThat(errorOf(ONE_MODEL + "memory: [2GiB]\n"))
        .hasMessage(
            "models.yaml:3:9: memory: expected a map such as {budget: 2GiB, keep_alive: 5m},"
                + " found a list");
  }

  @Test
  void should_report_a_map_where_a_list_is_expected() {
    assertThat(errorOf("models: {id: a, type: djl}\n"))
        .hasMessageStartingWith("models.yaml:1:9: models: expected a list of models")
        .hasMessageEndingWith("found a map");
  }

  @Test
  void should_report_text_where_a_whole_number_is_expected() {
    assertThat(errorOf(ONE_MODEL + "memory: {max_loaded_models: many}\n"))
        .hasMessage(
            "models.yaml:3:29: memory.max_loaded_models: expected a whole number, found 'many'");
  }

  @Test
  void should_report_a_fraction_where_a_whole_number_is_expected() {
    assertThat(errorOf("models:\n  - {id: a, type: djl, priority: 2.5}\n"))
        .hasMessage("models.yaml:2:34: models[0].priority: expected a whole number, found 2.5");
  }

  @Test
  void should_report_a_whole_number_out_of_range() {
    assertThat(errorOf("models:\n  - {id: a, type: djl, max_concurrency: 0}\n"))
        .hasMessage("models.yaml:2:41: models[0].max_concurrency: must be at least 1, found 0");
    assertThat(errorOf(ONE_MODEL + "memory: {max_loaded_models: 99999999999}\n"))
        .hasMessage(
            "models.yaml:3:29: memory.max_loaded_models: must be at most 2147483647, found"
                + " 99999999999");
    assertThat(errorOf("models:\n  - {id: a, type: djl, priority: -99999999999999999999}\n"))
        .hasMessage(
            "models.yaml:2:34: models[0].priority: must be at least -2147483648, found"
                + " -99999999999999999999");
  }

  @Test
  void should_report_a_boolean_where_text_is_expected() {
    assertThat(errorOf("models:\n  - {id: a, type: djl, device: true}\n"))
        .hasMessage(
            "models.yaml:2:32: models[0].device: expected text, found the boolean true; put it"
                + " in quotes if you mean the text");
  }

  @Test
  void should_report_a_missing_required_key_at_the_enclosing_map() {
    ConfigException e = errorOf("models:\n  - id: a\n    device: cpu\n");

    assertThat(e)
        .hasMessage(
            "models.yaml:2:5: models[0]: missing required key 'type': the backend type, such as"
                + " djl, openai or gemini");
    assertThat(errorOf("models:\n  - type: djl\n"))
        .hasMessageStartingWith("models.yaml:2:5: models[0]: missing required key 'id'");
  }

  @Test
  void should_report_a_null_required_value_as_missing() {
    assertThat(errorOf("models:\n  - id: ~\n    type: djl\n"))
        .hasMessage(
            "models.yaml:2:9: models[0].id: is missing its value: the model's name, such as"
                + " tiny-lm");
  }

  @Test
  void should_report_a_null_optional_value() {
    ConfigException e = errorOf("models:\n  - id: a\n    type: djl\n    device:\n");

    assertThat(e).hasMessageStartingWith("models.yaml:4:12: models[0].device: has no value");
    assertThat(errorOf("models:\n  - {id: a, type: djl, base_url: null}\n"))
        .hasMessageStartingWith("models.yaml:2:34: models[0].base_url: has no value");
    assertThat(errorOf("models:\n  - {id: a, type: djl, stop: [a, ~]}\n"))
        .hasMessageStartingWith("models.yaml:2:34: models[0].stop[1]: has no value");
  }

  @Test
  void should_report_an_empty_string_where_text_is_expected() {
    assertThat(errorOf("models:\n  - {id: a, type: djl, device: \"\"}\n"))
        .hasMessage(
            "models.yaml:2:32: models[0].device: is empty; give it a value or remove the key");
  }

  @Test
  void should_suggest_the_lower_case_form_of_a_type() {
    assertThat(errorOf("models:\n  - id: a\n    type: DJL\n"))
        .hasMessage(
            "models.yaml:3:11: models[0].type: a type is lower case letters, digits, '-' and '_',"
                + " such as djl, openai or gemini; found 'DJL'; did you mean 'djl'?");
  }

  @Test
  void should_reject_an_id_or_version_with_an_at_sign() {
    assertThat(errorOf("models:\n  - {id: a@1, type: djl}\n"))
        .hasMessageStartingWith("models.yaml:2:10: models[0].id: an id must not contain '@'");
    assertThat(errorOf("models:\n  - {id: a, type: djl, version: 1@2}\n"))
        .hasMessageStartingWith("models.yaml:2:33: models[0].version: a version must not contain");
  }

  @Test
  void should_check_prices() {
    assertThat(errorOf("models:\n  - {id: a, type: djl, price: {input: -1, output: 1}}\n"))
        .hasMessage(
            "models.yaml:2:39: models[0].price.input: a price must be a finite number of at"
                + " least 0, found -1");
    assertThat(errorOf("models:\n  - {id: a, type: djl, price: {input: 1}}\n"))
        .hasMessageStartingWith(
            "models.yaml:2:31: models[0].price: missing required key 'output'");
    assertThat(errorOf("models:\n  - {id: a, type: djl, price: {input: free, output: 1}}\n"))
        .hasMessage("models.yaml:2:39: models[0].price.input: expected a number, found 'free'");
  }

  @Test
  void should_check_tags() {
    assertThat(errorOf("models:\n  - {id: a, type: djl, tags: {chat: 1}}\n"))
        .hasMessageStartingWith(
            "models.yaml:2:30: models[0].tags: expected a tag or a list of tags");
    assertThat(errorOf("models:\n  - {id: a, type: djl, tags: [chat, [code]]}\n"))
        .hasMessage("models.yaml:2:37: models[0].tags[1]: expected text, found a list");
  }

  @Test
  void should_check_memory_values() {
    assertThat(errorOf(ONE_MODEL + "memory: {budget: 2 gigs}\n"))
        .hasMessageStartingWith("models.yaml:3:18: memory.budget: '2 gigs' is not a size")
        .hasMessageEndingWith(", or a percentage such as 80%");
    assertThat(errorOf(ONE_MODEL + "memory: {budget: 2GiBs}\n"))
        .hasMessageStartingWith("models.yaml:3:18: memory.budget: '2GiBs' is not a size");
    assertThat(errorOf(ONE_MODEL + "memory: {budget: 0}\n"))
        .hasMessageStartingWith("models.yaml:3:18: memory.budget: must be more than 0 bytes");
    assertThat(errorOf(ONE_MODEL + "memory: {headroom: 150%}\n"))
        .hasMessageStartingWith("models.yaml:3:20: memory.headroom: '150%' must be from 0% to 100%");
    assertThat(errorOf(ONE_MODEL + "memory: {keep_alive: soon}\n"))
        .hasMessageStartingWith("models.yaml:3:22: memory.keep_alive: 'soon' is not a duration");
    assertThat(errorOf(ONE_MODEL + "memory: {pools: [host]}\n"))
        .hasMessageStartingWith("models.yaml:3:17: memory.pools: expected a map of pool to budget");
    assertThat(errorOf(ONE_MODEL + "memory: {pools: {host: lots}}\n"))
        .hasMessageStartingWith("models.yaml:3:24: memory.pools.host: 'lots' is not a size");
    assertThat(errorOf("models:\n  - {id: a, type: djl, memory: 50%}\n"))
        .hasMessage(
            "models.yaml:2:32: models[0].memory: a model's memory is a size such as 4GiB or"
                + " 512MB, not a percentage; found '50%'");
    assertThat(errorOf("models:\n  - {id: a, type: djl, memory: 1.5}\n"))
        .hasMessageStartingWith(
            "models.yaml:2:32: models[0].memory: '1.5' is a fraction of a byte");
  }

  @Test
  void should_list_the_eviction_policies() {
    assertThat(errorOf(ONE_MODEL + "memory: {eviction: lfu}\n"))
        .hasMessage(
            "models.yaml:3:20: memory.eviction: unknown eviction policy 'lfu'; did you mean"
                + " 'lru'? Expected one of: lru, gdsf");
    assertThat(errorOf(ONE_MODEL + "memory: {eviction: random}\n"))
        .hasMessage(
            "models.yaml:3:20: memory.eviction: unknown eviction policy 'random'; expected one"
                + " of: lru, gdsf");
  }

  @Test
  void should_check_the_cache_section() {
    assertThat(errorOf(ONE_MODEL + "cache: {max_entries: 10}\n"))
        .hasMessage(
            "models.yaml:3:8: cache: missing required key 'ttl': how long a response is kept,"
                + " such as 10m");
    assertThat(errorOf(ONE_MODEL + "cache: {max_entries: 0, ttl: 1m}\n"))
        .hasMessage("models.yaml:3:22: cache.max_entries: must be at least 1, found 0");
    assertThat(errorOf(ONE_MODEL + "cache: {max_entries: 1, ttl: -1}\n"))
        .hasMessage(
            "models.yaml:3:30: cache.ttl: must be a positive duration, such as 10m; found -1");
    assertThat(errorOf(ONE_MODEL + "cache:\n"))
        .hasMessageStartingWith("models.yaml:3:7: cache: has no value");
    assertThat(errorOf(ONE_MODEL + "cache: {max_entries: 1, max_bytes: 100, ttl: 1m}\n"))
        .hasMessage("models.yaml:3:36: cache.max_bytes: must be at least 1KiB, such as 64MiB; found 100");
    assertThat(errorOf(ONE_MODEL + "cache: {max_entries: 1, max_bytes: 50%, ttl: 1m}\n"))
        .hasMessageStartingWith("models.yaml:3:36: cache.max_bytes: must be at least 1KiB");
    assertThat(errorOf(ONE_MODEL + "cache: {max_entries: 1, max_bytes: lots, ttl: 1m}\n"))
        .hasMessageStartingWith("models.yaml:3:36: cache.max_bytes:");
  }

  @Test
  void should_read_the_cache_bytes() {
    ModelMuxConfig config = ModelMuxConfig.parse(
        ONE_MODEL + "cache: {max_entries: 500, max_bytes: 8MiB, ttl: 90s}\n", "models.yaml", n -> null);
    assertThat(config.cache()).contains(new CacheConfig(500, 8L << 20, Duration.ofSeconds(90)));
    assertThat(ModelMuxConfig.parse(ONE_MODEL + "cache: {max_entries: 5, ttl: 1s}\n", "models.yaml", n -> null).cache()
        .orElseThrow().maxBytes()).isEqualTo(CacheConfig.DEFAULT_MAX_BYTES);
  }

  @Test
  void should_reject_a_file_that_is_not_a_map() {
    assertThat(errorOf("- id: a\n  type: djl\n"))
        .hasMessageStartingWith("models.yaml:1:1: expected a map of the sections default_model,")
        .hasMessageEndingWith("found a list");
  }

  // ---- models ------------------------------------------------------------------------------

  @Test
  void should_require_at_least_one_model() {
    assertThat(errorOf(""))
        .hasMessageStartingWith("models.yaml:1:1: no models defined")
        .isInstanceOfSatisfying(
            ConfigException.class, e -> assertThat(e.location()).contains(at(1, 1)));
    assertThat(errorOf("# nothing here\n")).hasMessageContaining("no models defined");
    assertThat(errorOf("memory: {budget: 1GiB}\n"))
        .hasMessageStartingWith("models.yaml:1:1: no models defined; add a 'models:' list");
    assertThat(errorOf("cache: {max_entries: 1, ttl: 1m}\nmodels: []\n"))
        .hasMessageStartingWith("models.yaml:2:9: models: no models defined");
    assertThat(errorOf("models:\n"))
        .hasMessageStartingWith("models.yaml:1:8: models: no models defined");
  }

  @Test
  void should_report_a_duplicate_model_naming_the_first_line() {
    String yaml =
        """
        models:
          - {id: a, type: djl, version: "1"}
          - {id: b, type: djl}
          - {id: a, type: djl, version: 1}
        """;

    ConfigException e = errorOf(yaml);

    assertThat(e)
        .hasMessage(
            "models.yaml:4:5: models[2]: model 'a' version '1' is already defined at line 2"
                + " (models[0]); give one of them another id or version");
    assertThat(e.modelId()).contains("a");
    assertThat(errorOf("models:\n  - {id: a, type: djl}\n  - {id: a, type: openai}\n"))
        .hasMessageStartingWith(
            "models.yaml:3:5: models[1]: model 'a' (without a version) is already defined at"
                + " line 2");
  }

  @Test
  void should_report_a_model_that_is_not_a_map() {
    assertThat(errorOf("models:\n  - tiny-lm\n"))
        .hasMessage(
            "models.yaml:2:5: models[0]: expected a model: a map such as {id: tiny-lm, type:"
                + " djl}, found 'tiny-lm'");
  }

  // ---- YAML structure ----------------------------------------------------------------------

  @Test
  void should_report_duplicate_keys() {
    String yaml = "models:\n  - id: a\n    type: djl\n    id: b\n";

    ConfigException e = errorOf(yaml);

    assertThat(e)
        .hasMessage(
            "models.yaml:4:5: models[0].id: duplicate key 'id' (first at line 2); keep one of"
                + " them");
    assertThat(errorOf(ONE_MODEL + "memory: {budget: 1GiB}\nmemory: {budget: 2GiB}\n"))
        .hasMessageStartingWith(
            "models.yaml:4:1: memory: duplicate key 'memory' (first at line 3)");
  }

  @Test
  void should_report_a_yaml_syntax_error_at_the_parser_location() {
    String yaml = "models:\n  - id: a\n    type: djl\n   device: cpu\n";

    ConfigException e = errorOf(yaml);

    assertThat(e).hasMessageStartingWith("models.yaml:4:4: invalid YAML: ");
    assertThat(e.location()).contains(at(4, 4));
    assertThat(e.getMessage()).doesNotContain("\n");
    assertThat(errorOf("models: [\n"))
        .hasMessage(
            "models.yaml:2:1: invalid YAML: expected the node content, but found '<stream end>'"
                + " (while parsing a flow node that starts at line 2, column 1)");
    assertThat(errorOf("models:\n\t- id: a\n"))
        .hasMessageStartingWith("models.yaml:2:1: invalid YAML: found character '\\t(TAB)'");
  }

  @Test
  void should_keep_the_offending_line_out_of_a_syntax_error() {
    ConfigException e = errorOf("models:\n  - {id: a, type: djl, api_key: sk-secret: x}\n");

    assertThat(e).hasMessageStartingWith("models.yaml:2:");
    assertThat(e.getMessage()).doesNotContain(SECRET);
  }

  @Test
  void should_reject_yaml_aliases() {
    String yaml =
        "models:\n  - {id: a, type: djl, stop: &s [x]}\n  - {id: b, type: djl, stop: *s}\n";

    assertThat(errorOf(yaml))
        .hasMessage(
            "models.yaml:3:30: models[1].stop: YAML aliases (*s) are not supported; write the"
                + " value out in full");
  }

  @Test
  void should_reject_a_second_document() {
    assertThat(errorOf(ONE_MODEL + "---\n" + ONE_MODEL))
        .hasMessageStartingWith("models.yaml:4:1: a second YAML document starts here");
  }

  @Test
  void should_reject_binary_values() {
    assertThat(errorOf("models:\n  - {id: a, type: djl, blob: !!binary aGVsbG8=}\n"))
        .hasMessageStartingWith("models.yaml:2:30: models[0].blob: this kind of YAML value");
  }

  // ---- names: aliases, routes, default model -----------------------------------------------

  @Test
  void should_report_an_alias_to_an_undefined_model() {
    String yaml = ONE_MODEL + "aliases:\n  prod: tiny-llm\n";

    ConfigException e = errorOf(yaml);

    assertThat(e)
        .hasMessage(
            "models.yaml:4:9: aliases.prod: model 'tiny-llm' is not defined; did you mean"
                + " 'tiny-lm'? Defined models: tiny-lm");
    assertThat(e.location()).contains(at(4, 9));
  }

  @Test
  void should_report_an_alias_to_an_undefined_version() {
    String yaml =
        """
        models:
          - {id: tiny-lm, type: djl, version: "1"}
          - {id: tiny-lm, type: djl, version: "2"}
        aliases: {prod: tiny-lm@3}
        """;

    assertThat(errorOf(yaml))
        .hasMessageStartingWith(
            "models.yaml:4:17: aliases.prod: model 'tiny-lm@3' is not defined: the model has no"
                + " such version; did you mean 'tiny-lm@1'? Defined models: tiny-lm (versions 1,"
                + " 2)");
  }

  @Test
  void should_reject_bad_alias_names() {
    assertThat(errorOf(ONE_MODEL + "aliases: {tiny-lm: tiny-lm}\n"))
        .hasMessage(
            "models.yaml:3:11: aliases.tiny-lm: alias 'tiny-lm' has the name of a model id; give"
                + " the alias a name of its own");
    assertThat(errorOf(ONE_MODEL + "aliases: {prod@1: tiny-lm}\n"))
        .hasMessageStartingWith("models.yaml:3:11: aliases.prod@1: an alias is a name without '@'");
    assertThat(errorOf(ONE_MODEL + "aliases: {prod: tiny-lm, live: prod}\n"))
        .hasMessageStartingWith(
            "models.yaml:3:32: aliases.live: 'prod' is an alias; an alias names a model");
  }

  @Test
  void should_report_a_route_to_an_undefined_model_at_its_key() {
    String yaml =
        ONE_MODEL
            + """
            routes:
              - name: chat
                split: {tiny-lm: 9, llama-8b: 1}
            """;

    ConfigException e = errorOf(yaml);

    assertThat(e)
        .hasMessage(
            "models.yaml:5:25: routes[0].split.llama-8b: model 'llama-8b' is not defined;"
                + " defined models: tiny-lm; routes: chat");
  }

  @Test
  void should_report_a_fallback_to_an_undefined_model() {
    String yaml =
        ONE_MODEL
            + "aliases: {prod: tiny-lm}\n"
            + "routes:\n  - {name: chat, split: {prod: 1}, fallbacks: [tiny-lm, prdo]}\n";

    assertThat(errorOf(yaml))
        .hasMessage(
            "models.yaml:5:57: routes[0].fallbacks[1]: model 'prdo' is not defined; did you mean"
                + " 'prod'? Defined models: tiny-lm; aliases: prod; routes: chat");
  }

  @Test
  void should_check_route_structure() {
    assertThat(errorOf(ONE_MODEL + "routes:\n  - {name: chat}\n"))
        .hasMessageStartingWith("models.yaml:4:5: routes[0]: route 'chat' has no policy; give exactly one of split");
    assertThat(errorOf(ONE_MODEL + "routes:\n  - {split: {tiny-lm: 1}}\n"))
        .hasMessageStartingWith("models.yaml:4:5: routes[0]: missing required key 'name'");
    assertThat(errorOf(ONE_MODEL + "routes:\n  - {name: chat, split: {}}\n"))
        .hasMessageStartingWith("models.yaml:4:25: routes[0].split: names no model");
    assertThat(errorOf(ONE_MODEL + "routes:\n  - {name: chat, split: {tiny-lm: 0}}\n"))
        .hasMessage("models.yaml:4:35: routes[0].split.tiny-lm: must be at least 1, found 0");
    String route = ONE_MODEL + "routes:\n  - {name: chat, split: {tiny-lm: 1}, fallbacks: ";
    assertThat(errorOf(route + "tiny-lm}\n"))
        .hasMessageStartingWith(
            "models.yaml:4:50: routes[0].fallbacks: expected a list of model names");
    assertThat(errorOf(route + "[tiny-lm, tiny-lm]}\n"))
        .hasMessageStartingWith(
            "models.yaml:4:60: routes[0].fallbacks[1]: 'tiny-lm' is listed twice");
  }

  private static final String TWO_VERSIONS =
      "models:\n  - {id: m, type: echo, version: \"1\"}\n  - {id: m, type: echo, version: \"2\"}\n  - {id: other, type: echo}\n";

  @Test
  void should_read_every_route_policy() {
    ModelMuxConfig config =
        parse(
            TWO_VERSIONS
                + """
                routes:
                  - {name: split, split: {m@1: 90, m@2: 10}}
                  - {name: one, target: m@1, shadow: {model: other, percent: 10, max_concurrent: 2}}
                  - name: canary
                    canary: {stable: m@1, canary: m@2, percent: 5, window: 10m, min_requests: 50, max_error_rate_increase: 0.02, max_latency_ratio: 1.5}
                  - {name: auto, auto: {prefer: price}}
                  - {name: outer, split: {split: 1, one: 1}}
                default_model: outer
                """);

    assertThat(config.routes()).extracting(RouteConfig::policy)
        .containsExactly(RouteConfig.Policy.SPLIT, RouteConfig.Policy.SPLIT, RouteConfig.Policy.CANARY, RouteConfig.Policy.AUTO, RouteConfig.Policy.SPLIT);
    assertThat(config.routes().get(0).split()).containsExactly(Map.entry("m@1", 90), Map.entry("m@2", 10));
    assertThat(config.routes().get(1).shadow()).contains(new RouteConfig.Shadow("other", 10, 2));
    assertThat(config.routes().get(2).canary())
        .contains(new RouteConfig.Canary("m@1", "m@2", 5, Duration.ofMinutes(10), 50, 0.02, 1.5));
    assertThat(config.routes().get(3).prefer()).contains(RouteConfig.Preference.PRICE);
    assertThat(config.defaultModel()).contains("outer");
  }

  @Test
  void should_report_each_bad_route_at_its_value() {
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: r, target: nope}\n").getMessage())
        .isEqualTo("models.yaml:6:23: routes[0].target: model 'nope' is not defined; defined models: m (versions 1, 2), other; routes: r");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: r, split: {m@1: -3}}\n").getMessage())
        .isEqualTo("models.yaml:6:28: routes[0].split.m@1: must be at least 1, found -3");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: r, canary: {stable: m@1, canary: m@2, percent: 150}}\n").getMessage())
        .isEqualTo("models.yaml:6:59: routes[0].canary.percent: must be a percentage from 0 to 100; found 150");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: r, canary: {stable: m@1, canary: m@1, percent: 5}}\n").getMessage())
        .contains("routes[0].canary.canary: is the stable model too");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: r, target: m@1, shadow: {model: m@1, percent: 5}}\n").getMessage())
        .contains("routes[0].shadow.model: shadows to 'm@1', which the route already sends to");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: r, target: m@1, shadow: {model: r, percent: 5}}\n").getMessage())
        .contains("shadows to 'r'");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: a, target: b}\n  - {name: b, split: {c: 1}}\n  - {name: c, target: a}\n").getMessage())
        .isEqualTo("models.yaml:6:12: routes: routes form a cycle: a -> b -> c -> a; a route must not lead back to itself");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: other, target: m@1}\n").getMessage())
        .isEqualTo("models.yaml:6:12: routes[0].name: route 'other' has the name of a model id; routes share that namespace, so rename the route");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: r, target: m@1, split: {m@2: 1}}\n").getMessage())
        .contains("routes[0]: route 'r' has split and target; give exactly one of");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: r, auto: {prefer: speed}}\n").getMessage())
        .isEqualTo("models.yaml:6:30: routes[0].auto.prefer: must be latency, price or priority; found 'speed'");
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: r, canary: {stable: m@1, canary: m@2, percent: 5, windw: 5m}}\n").getMessage())
        .contains("unknown key 'windw'; did you mean 'window'?");
  }

  @Test
  @Timeout(30) // a search that walks every path would take 2^40 steps here
  void should_name_a_cycle_at_its_first_route_and_check_a_deep_diamond_of_routes_at_once() {
    assertThat(errorOf(TWO_VERSIONS + "routes:\n  - {name: x, target: a}\n  - {name: a, target: b}\n  - {name: b, split: {a: 1, m@1: 1}}\n").getMessage())
        .isEqualTo("models.yaml:7:12: routes: routes form a cycle: a -> b -> a; a route must not lead back to itself");
    StringBuilder yaml = new StringBuilder(TWO_VERSIONS + "routes:\n");
    for (int layer = 0; layer < 40; layer++) {
      for (String side : List.of("l", "r")) {
        yaml.append("  - {name: ").append(side).append(layer)
            .append(layer == 39 ? ", target: m@1}\n" : ", split: {l" + (layer + 1) + ": 1, r" + (layer + 1) + ": 1}}\n");
      }
    }
    assertThat(parse(yaml.toString()).routes()).hasSize(80);
  }

  @Test
  void should_report_duplicate_route_names() {
    String yaml =
        ONE_MODEL
            + """
            routes:
              - {name: chat, split: {tiny-lm: 1}}
              - {name: chat, split: {tiny-lm: 2}}
            """;

    assertThat(errorOf(yaml))
        .hasMessage(
            "models.yaml:5:12: routes[1].name: route 'chat' is already defined at line 4; give"
                + " each route its own name");
  }

  @Test
  void should_report_an_undefined_default_model() {
    assertThat(errorOf("default_model: tiny\n" + ONE_MODEL))
        .hasMessage(
            "models.yaml:1:16: default_model: model 'tiny' is not defined; did you mean"
                + " 'tiny-lm'? Defined models: tiny-lm");
  }

  @Test
  void should_take_a_headroom_of_zero_percent_as_none() {
    MemoryConfig memory = parse("memory: {budget: 50%, headroom: 0%}\n" + ONE_MODEL).memory();

    assertThat(memory.headroom()).contains(Amount.ofBytes(0));
    assertThat(errorOf("memory: {budget: 0%}\n" + ONE_MODEL).getMessage()).contains("more than 0%");
    assertThat(errorOf("memory: {headroom: 101%}\n" + ONE_MODEL).getMessage()).contains("from 0% to 100%");
  }

  @Test
  void should_refuse_an_id_with_a_control_character() {
    assertThat(errorOf("models:\n  - {id: \"a\\tb\", type: djl}\n").getMessage())
        .contains("models[0].id: an id must not contain control or invisible characters; found 'a\\tb'");
  }

  @Test
  void should_cut_a_huge_default_model_in_its_error() {
    String huge = "m".repeat(1_000_000);

    ConfigException e = errorOf("default_model: " + huge + "\n" + ONE_MODEL);

    assertThat(e.getMessage()).hasSizeLessThan(600).contains("(cut: 999,800 more characters)").contains("defined models: tiny-lm");
  }

  @Test
  void should_cut_a_huge_unknown_key_and_its_path() {
    ConfigException e = errorOf(ONE_MODEL + "k".repeat(1000) + ": 1\n"); // YAML keys stop at 1024 characters

    assertThat(e.getMessage()).hasSizeLessThan(700).contains("unknown key 'kkk").contains("(cut: 800 more characters)");
  }

  @Test
  void should_escape_control_characters_in_a_quoted_value() {
    ConfigException e = errorOf("default_model: \"tiny\\e[31m\\a\"\n" + ONE_MODEL);

    assertThat(e.getMessage()).contains("'tiny\\u001b[31m\\u0007'").doesNotContain("\u001b");
  }

  @Test
  void should_refuse_an_id_longer_than_256_characters() {
    assertThat(errorOf("models:\n  - {id: " + "i".repeat(300) + ", type: djl}\n").getMessage())
        .contains("models[0].id: an id must be at most 256 characters; found 300");
  }

  @Test
  void should_locate_the_type_of_a_model_at_its_value() {
    ModelSpec spec = parse("models:\n  - id: tiny\n    type: opnai\n").models().get(0);

    assertThat(spec.locationOf("type")).contains(at(3, 11));
    assertThat(spec.location()).contains(at(2, 5));
  }

  // ---- ${VAR} -------------------------------------------------------------------------------

  @Test
  void should_replace_variables_in_every_text_value() {
    env.put("HOST", "vllm-a");
    env.put("PORT", "8000");
    env.put("TEAM", "search");
    String yaml =
        """
        models:
          - id: llama-8b
            type: openai
            base_url: "http://${HOST}:${PORT}/v1"
            port: ${PORT}
            stop: ["${TEAM}", b]
            headers: {X-Team: "team-${TEAM}"}
        """;

    ModelSpec spec = parse(yaml).models().get(0);

    assertThat(spec.options().get("base_url")).isEqualTo("http://vllm-a:8000/v1");
    assertThat(spec.options().get("port")).isEqualTo("8000");
    assertThat(spec.options().get("stop")).isEqualTo(List.of("search", "b"));
    assertThat(spec.options().get("headers")).isEqualTo(Map.of("X-Team", "team-search"));
  }

  @Test
  void should_use_the_default_when_a_variable_is_unset_or_empty() {
    env.put("EMPTY", "");
    env.put("SET", "x");
    String yaml =
        """
        models:
          - id: a
            type: djl
            unset: "${UNSET:-fallback}"
            empty: "${EMPTY:-fallback}"
            set: "${SET:-fallback}"
            blank_default: "${UNSET:-}"
            empty_no_default: "${EMPTY}"
            max_concurrency: "${CONCURRENCY:-4}"
        """;

    ModelSpec spec = parse(yaml).models().get(0);

    assertThat(spec.options())
        .containsEntry("unset", "fallback")
        .containsEntry("empty", "fallback")
        .containsEntry("set", "x")
        .containsEntry("blank_default", "")
        .containsEntry("empty_no_default", "");
    assertThat(spec.maxConcurrency()).hasValue(4);
  }

  @Test
  void should_read_a_doubled_dollar_as_a_literal() {
    env.put("X", "x");
    String yaml = "models:\n  - {id: a, type: djl, template: \"$${X} is ${X}, $$ and $ stay\"}\n";

    assertThat(parse(yaml).models().get(0).options().get("template"))
        .isEqualTo("${X} is x, $$ and $ stay");
  }

  @Test
  void should_report_an_unset_variable_at_its_value() {
    String yaml = "models:\n  - id: llama-8b\n    type: openai\n    api_key: ${VLLM_API_KEY}\n";

    ConfigException e = errorOf(yaml);

    assertThat(e)
        .hasMessage(
            "models.yaml:4:14: models[0].api_key: environment variable VLLM_API_KEY is not set;"
                + " set it or write ${VLLM_API_KEY:-default}");
    assertThat(e.location()).contains(at(4, 14));
    assertThat(e.path()).contains("models[0].api_key");
  }

  @Test
  void should_report_malformed_variable_references() {
    assertThat(errorOf("models:\n  - {id: a, type: djl, k: \"${OPEN\"}\n"))
        .hasMessageStartingWith("models.yaml:2:27: models[0].k: '${' at character 1 is not closed");
    assertThat(errorOf("models:\n  - {id: a, type: djl, k: \"${1X}\"}\n"))
        .hasMessageStartingWith(
            "models.yaml:2:27: models[0].k: '${1X}' does not name an environment variable");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "id: \"${API_KEY}@\"",
        "type: \"${API_KEY}X\"",
        "version: \"${API_KEY}@\"",
        "pinned: ${API_KEY}",
        "priority: ${API_KEY}",
        "max_concurrency: ${API_KEY}",
        "memory: ${API_KEY}",
        "keep_alive: ${API_KEY}",
        "price: {input: \"${API_KEY}\", output: 1}"
      })
  void should_never_show_a_value_from_the_environment(String line) {
    env.put("API_KEY", SECRET);
    String key = line.substring(0, line.indexOf(':'));
    String yaml =
        "models:\n  - "
            + line
            + "\n"
            + (key.equals("id") ? "" : "    id: a\n")
            + (key.equals("type") ? "" : "    type: djl\n");

    ConfigException e = errorOf(yaml);

    assertThat(e.getMessage())
        .doesNotContain(SECRET)
        .contains("models[0]." + key)
        .contains("${API_KEY}");
    assertThat(stackTraceOf(e)).doesNotContain(SECRET);
  }

  @Test
  void should_name_the_variable_instead_of_its_value() {
    env.put("API_KEY", SECRET);

    ConfigException e = errorOf("models:\n  - id: a\n    type: djl\n    memory: ${API_KEY}\n");

    assertThat(e)
        .hasMessage(
            "models.yaml:4:13: models[0].memory: expected " + Quantities.SIZE_FORMS + ", found"
                + " the value of ${API_KEY} (not shown)");
    assertThat(e.getCause()).isNull();
  }

  @Test
  void should_not_show_model_names_from_the_environment() {
    env.put("MODEL", SECRET);

    ConfigException e = errorOf("default_model: ${MODEL}\n" + ONE_MODEL);

    assertThat(e)
        .hasMessage(
            "models.yaml:1:16: default_model: model the value of ${MODEL} (not shown) is not"
                + " defined; defined models: tiny-lm");
  }

  private static String stackTraceOf(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  // ---- files ------------------------------------------------------------------------------

  @Test
  void should_load_a_file_and_name_it_in_locations(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("models.yaml");
    Files.writeString(file, ONE_MODEL + "routes:\n  - {name: chat, split: {nope: 1}}\n");

    assertThatThrownBy(() -> ModelMuxConfig.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(file + ":4:26: routes[0].split.nope: model 'nope' is not defined");

    Files.writeString(file, ONE_MODEL);
    ModelMuxConfig config = ModelMuxConfig.load(file, name -> null);
    assertThat(config.models()).extracting(ModelSpec::id).containsExactly("tiny-lm");
    assertThat(config.models().get(0).location())
        .contains(new ConfigLocation(file.toString(), 2, 5));
  }

  @Test
  void should_name_a_missing_file(@TempDir Path dir) {
    Path missing = dir.resolve("absent.yaml");

    assertThatThrownBy(() -> ModelMuxConfig.load(missing))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.location()).contains(new ConfigLocation(missing.toString(), 0, 0)))
        .hasMessageStartingWith(missing + ": cannot read the configuration file")
        .hasMessageContaining("NoSuchFileException");
  }
}
