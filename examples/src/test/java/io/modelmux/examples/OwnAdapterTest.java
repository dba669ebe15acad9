package io.modelmux.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelmux.Attempt;
import io.modelmux.ConfigException;
import io.modelmux.FinishReason;
import io.modelmux.GenerateRequest;
import io.modelmux.GenerateResponse;
import io.modelmux.InvalidRequestException;
import io.modelmux.ModelLoadException;
import io.modelmux.ModelRef;
import io.modelmux.ModelState;
import io.modelmux.MultiModelManager;
import io.modelmux.TokenStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example adapter of one's own ({@code type: faq}, in {@code io.modelmux.examples.adapter}) is
 * found by {@code ServiceLoader} through its type in a models.yaml, and serves beside the tiny LM:
 * answers, streams, takes a route's fallback and rejects a bad option like the built-in types.
 */
class OwnAdapterTest {
  private static final String FAQ =
      """
      # What customers ask, as "question => answer"; lines without the arrow are comments.
      shipping delivery cost => Shipping is free for orders over 50 euros.
      refund return money back => Refunds reach your account within 5 working days.
      opening hours open => We are open from 9 to 18, Monday to Friday.
      """;
  private static final String REFUND = "Refunds reach your account within 5 working days.";

  @TempDir Path dir;

  /** Writes the FAQ and a models.yaml with the tiny LM, the FAQ model {@code help} and a route. */
  private Path config(String helpOptions) throws IOException {
    Path faq = Files.writeString(dir.resolve("faq.txt"), FAQ);
    return Files.writeString(
        dir.resolve("models.yaml"),
        """
        default_model: tiny-lm
        models:
          - id: tiny-lm
            type: djl
            path: "classpath:/models/tiny-lm"
            max_batch_size: 1
            price: {input: 1.00, output: 2.00}
          - id: help
            type: faq
        %s
        routes:
          # the tiny LM while the day's budget lasts (here: none), then the FAQ, which costs nothing
          - name: support
            target: tiny-lm
            spend_limit: {amount: 0.000001, period: day}
            fallbacks: [help]
        """
            .formatted(helpOptions.replace("FAQ_PATH", faq.toString())));
  }

  private MultiModelManager manager() throws IOException {
    return MultiModelManager.builder().config(config("    path: \"FAQ_PATH\"")).build();
  }

  @Test
  void should_answer_with_the_faq_line_closest_to_the_question() throws IOException {
    try (MultiModelManager models = manager()) {
      GenerateResponse r = models.generate(GenerateRequest.of("help", "How long until I get my money back?"));

      assertThat(models.factories().types()).contains("faq", "djl", "openai", "gemini");
      assertThat(r.model()).isEqualTo(new ModelRef("help", "latest"));
      assertThat(r.text()).isEqualTo(REFUND);
      assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
      assertThat(r.usage().orElseThrow().completionTokens()).isEqualTo(8); // one token a word
      assertThat(models.generate(GenerateRequest.of("help", "Is delivery free?")).text())
          .isEqualTo("Shipping is free for orders over 50 euros.");
    }
  }

  @Test
  void should_stream_the_answer_word_by_word() throws IOException {
    try (MultiModelManager models = manager();
        TokenStream tokens = models.stream(GenerateRequest.of("help", "Can I return it for a refund?"))) {
      List<String> pieces = new ArrayList<>();
      tokens.forEach(pieces::add);

      assertThat(pieces).containsExactly("Refunds ", "reach ", "your ", "account ", "within ", "5 ", "working ", "days.");
      assertThat(tokens.response().text()).isEqualTo(REFUND);
      assertThat(tokens.response().finishReason()).isEqualTo(FinishReason.STOP);
    }
  }

  @Test
  void should_cut_the_answer_at_max_tokens() throws IOException {
    try (MultiModelManager models = manager()) {
      GenerateResponse r =
          models.generate(GenerateRequest.builder().model("help").prompt("refund?").maxTokens(3).build());

      assertThat(r.text()).isEqualTo("Refunds reach your ");
      assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
    }
  }

  @Test
  void should_serve_beside_the_tiny_lm() throws IOException {
    try (MultiModelManager models = manager()) {
      GenerateResponse lm = models.generate(GenerateRequest.builder().prompt("ROMEO:\n").maxTokens(16).build());
      GenerateResponse faq = models.generate(GenerateRequest.of("help", "When are you open?"));

      assertThat(lm.model()).isEqualTo(new ModelRef("tiny-lm", "latest"));
      assertThat(lm.text()).isNotEmpty();
      assertThat(faq.text()).isEqualTo("We are open from 9 to 18, Monday to Friday.");
      assertThat(models.models())
          .allSatisfy(m -> assertThat(m.state()).isEqualTo(ModelState.LOADED))
          .extracting(m -> m.ref().id() + " " + m.type())
          .containsExactly("tiny-lm djl", "help faq");
    }
  }

  @Test
  void should_take_the_routes_fallback_when_the_tiny_lm_is_over_its_budget() throws IOException {
    try (MultiModelManager models = manager()) {
      GenerateResponse r = models.generate(GenerateRequest.of("support", "What are your opening hours?"));

      assertThat(r.text()).isEqualTo("We are open from 9 to 18, Monday to Friday.");
      assertThat(r.routing().route()).contains("support");
      assertThat(r.attempts())
          .extracting(a -> a.model().id() + " " + a.outcome())
          .containsExactly("tiny-lm " + Attempt.Outcome.OVER_BUDGET, "help " + Attempt.Outcome.SUCCEEDED);
    }
  }

  @Test
  void should_refuse_a_question_it_has_no_answer_to() throws IOException {
    try (MultiModelManager models = manager()) {
      assertThatThrownBy(() -> models.generate(GenerateRequest.of("help", "Who wrote Hamlet?")))
          .isInstanceOf(InvalidRequestException.class)
          .hasMessageContaining("help")
          .hasMessageContaining("no question matches");
    }
  }

  @Test
  void should_reject_an_unknown_option_where_it_is_written() throws IOException {
    Path yaml = config("    pth: \"FAQ_PATH\"");

    assertThatThrownBy(() -> MultiModelManager.builder().config(yaml).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("models.yaml:10:")
        .hasMessageContaining("'pth' of model 'help' is not an option of type 'faq'; did you mean 'path'?");
  }

  @Test
  void should_reject_a_faq_model_without_a_path() throws IOException {
    Path yaml = config("");

    assertThatThrownBy(() -> MultiModelManager.builder().config(yaml).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("option 'path' of model 'help' is required for type 'faq'");
  }

  @Test
  void should_fail_the_load_of_a_missing_file_with_a_typed_error() throws IOException {
    Path yaml = config("    path: \"" + dir.resolve("missing.txt") + "\"");

    try (MultiModelManager models = MultiModelManager.builder().config(yaml).build()) {
      assertThatThrownBy(() -> models.generate(GenerateRequest.of("help", "refund?")))
          .isInstanceOf(ModelLoadException.class)
          .hasMessageContaining("missing.txt");
    }
  }

  @Test
  void should_keep_the_example_adapter_under_60_lines() throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> sources = Files.list(Path.of("src/main/java/io/modelmux/examples/adapter"))) {
      sources.forEach(files::add);
    }
    files.add(Path.of("src/main/resources/META-INF/services/io.modelmux.spi.ModelFactory"));
    long lines = 0;
    for (Path f : files) {
      lines += Files.readAllLines(f).size();
    }

    assertThat(files).hasSizeGreaterThanOrEqualTo(2);
    assertThat(lines).as("lines of %s", files).isLessThan(60);
  }
}
