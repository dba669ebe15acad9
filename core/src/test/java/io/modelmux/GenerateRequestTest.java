package io.modelmux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class GenerateRequestTest {
  @Test
  void should_build_a_prompt_request_with_options() {
    GenerateRequest r =
        GenerateRequest.builder()
            .model("tiny@1")
            .prompt("hi")
            .maxTokens(5)
            .temperature(0)
            .topP(0.9)
            .topK(40)
            .stop("\n")
            .seed(7)
            .routingKey("user-1")
            .build();

    assertThat(r.prompt()).contains("hi");
    assertThat(r.isChat()).isFalse();
    assertThat(r.model()).contains("tiny@1");
    assertThat(r.options().maxTokens()).hasValue(5);
    assertThat(r.options().temperature()).hasValue(0.0);
    assertThat(r.options().topP()).hasValue(0.9);
    assertThat(r.options().topK()).hasValue(40);
    assertThat(r.options().stop()).containsExactly("\n");
    assertThat(r.options().seed()).hasValue(7);
    assertThat(r.options().isDeterministic()).isTrue();
    assertThat(r.routingKey()).contains("user-1");
    assertThat(r.toBuilder().build().options()).isEqualTo(r.options());
  }

  @Test
  void should_apply_option_setters_after_to_builder_and_options() {
    GenerateRequest base = GenerateRequest.builder().prompt("x").maxTokens(5).build();

    GenerateRequest changed = base.toBuilder().stop("END").temperature(0).build();
    GenerateRequest replaced =
        GenerateRequest.builder().prompt("x").options(base.options()).seed(3).build();

    assertThat(changed.options().maxTokens()).hasValue(5);
    assertThat(changed.options().stop()).containsExactly("END");
    assertThat(changed.options().temperature()).hasValue(0.0);
    assertThat(base.options().stop()).isEmpty();
    assertThat(replaced.options().maxTokens()).hasValue(5);
    assertThat(replaced.options().seed()).hasValue(3);
  }

  @Test
  void should_keep_the_prompt_text_out_of_to_string() {
    GenerateRequest r = GenerateRequest.of("m", "my secret diary");

    assertThat(r.toString()).doesNotContain("secret").contains("15 chars").contains("model=m");
  }

  @Test
  void should_require_exactly_one_of_prompt_and_messages() {
    assertThatThrownBy(() -> GenerateRequest.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("needs a prompt or chat messages");
    assertThatThrownBy(
            () -> GenerateRequest.builder().prompt("a").message(ChatMessage.user("b")).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not both");
    assertThat(GenerateRequest.builder().message(ChatMessage.user("b")).build().isChat()).isTrue();
  }

  @Test
  void should_reject_bad_options_naming_the_value() {
    assertThatThrownBy(() -> GenerateOptions.builder().maxTokens(0))
        .hasMessage("maxTokens must be at least 1, got 0");
    assertThatThrownBy(() -> GenerateOptions.builder().temperature(-0.1))
        .hasMessage("temperature must be finite and not negative, got -0.1");
    assertThatThrownBy(() -> GenerateOptions.builder().temperature(Double.NaN))
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> GenerateOptions.builder().topP(0)).hasMessage("topP must be in (0, 1], got 0.0");
    assertThatThrownBy(() -> GenerateOptions.builder().topK(0)).hasMessage("topK must be at least 1, got 0");
    assertThatThrownBy(() -> GenerateOptions.builder().stop("")).hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> GenerateRequest.builder().model(" ")).hasMessageContaining("blank");
    assertThatThrownBy(() -> GenerateRequest.builder().timeout(Duration.ZERO)).hasMessageContaining("positive");
  }

  @Test
  void should_set_a_deadline_from_a_timeout() {
    Instant before = Instant.now();

    GenerateRequest r = GenerateRequest.builder().prompt("x").timeout(Duration.ofSeconds(10)).build();

    assertThat(r.deadline()).get().satisfies(d -> assertThat(d).isAfter(before.plusSeconds(9)));
  }

  @Test
  void should_parse_and_print_model_refs() {
    assertThat(ModelRef.parse("a@1")).isEqualTo(new ModelRef("a", "1"));
    assertThat(new ModelRef("a", "1").toString()).isEqualTo("a@1");
    assertThatThrownBy(() -> ModelRef.parse("a@")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ModelRef.parse("@1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ModelRef("a", "1@2")).hasMessageContaining("'@'");
  }

  @Test
  void should_take_a_timeout_too_long_for_an_instant_as_no_deadline_to_reach() {
    GenerateRequest r = GenerateRequest.builder().prompt("x").timeout(Duration.ofSeconds(Long.MAX_VALUE)).build();

    assertThat(r.deadline()).contains(Instant.MAX);
  }

  @Test
  void should_say_which_stop_sequence_is_null_or_empty() {
    assertThatThrownBy(() -> GenerateRequest.builder().stop("a", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("stop sequence 2 of 2 is null");
    assertThatThrownBy(() -> GenerateRequest.builder().stop("a", "b", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stop sequence 3 of 3 is empty");
  }

  @Test
  void should_refuse_a_model_id_longer_than_256_characters_without_printing_it_whole() {
    assertThat(new ModelRef("i".repeat(256), "1").id()).hasSize(256);
    assertThatThrownBy(() -> new ModelRef("i".repeat(1_000_000), "1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at most 256 characters, got 1000000")
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
  }

  @Test
  void should_give_exceptions_their_context() {
    RateLimitedException limited =
        new RateLimitedException("slow down", "m", 429, Duration.ofSeconds(3), null);
    BackendException cut = new BackendException("cut", "m", true, 200, null, "partial", null);
    ConfigException config =
        new ConfigException("bad", new ConfigLocation("f.yaml", 3, 4), "a.b", null, null);

    assertThat(limited.isRetryable()).isTrue();
    assertThat(limited.retryAfter()).contains(Duration.ofSeconds(3));
    assertThat(limited.statusCode()).hasValue(429);
    assertThat(cut.partialText()).isEqualTo("partial");
    assertThat(config).hasMessage("f.yaml:3:4: a.b: bad");
    assertThat(new ConfigException("plain").statusCode()).isEmpty();
    assertThat(new InsufficientMemoryException("big", "m", 10, 5, 2).requiredBytes()).isEqualTo(10);
  }

  @Test
  void should_give_the_time_left_until_the_deadline_zero_once_passed_and_none_without_one() {
    assertThat(GenerateRequest.of("hi").timeLeft()).isEmpty();
    assertThat(GenerateRequest.builder().prompt("hi").timeout(java.time.Duration.ofMinutes(1)).build().timeLeft().orElseThrow())
        .isBetween(java.time.Duration.ofSeconds(50), java.time.Duration.ofMinutes(1));
    assertThat(GenerateRequest.builder().prompt("hi").deadline(java.time.Instant.EPOCH).build().timeLeft())
        .hasValue(java.time.Duration.ZERO);
    assertThat(GenerateRequest.builder().prompt("hi").deadline(java.time.Instant.MAX).build().timeLeft().orElseThrow())
        .as("a far deadline does not overflow").isEqualTo(java.time.Duration.ofNanos(Long.MAX_VALUE));
  }
}
