package io.modelmux.djl;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelmux.FinishReason;
import io.modelmux.spi.Completion;
import io.modelmux.testing.RecordingSink;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tokenizing, sampling and the text a generation sends: the pure parts of decoding. */
class TextPiecesTest {
  @Test
  void should_hold_back_bytes_until_a_character_is_whole() {
    ByteTokenizer tokenizer = new ByteTokenizer();
    int[] ids = tokenizer.encode("aé😀b");
    TextTokenizer.Detokenizer d = tokenizer.newDetokenizer();
    List<String> pieces = new ArrayList<>();
    for (int id : ids) {
      pieces.add(d.push(id));
    }

    assertThat(ids).hasSize(1 + 2 + 4 + 1);
    assertThat(pieces).containsExactly("a", "", "é", "", "", "", "😀", "b");
    assertThat(d.flush()).isEmpty();
  }

  @Test
  void should_replace_an_incomplete_character_at_the_end() {
    TextTokenizer.Detokenizer d = new ByteTokenizer().newDetokenizer();
    byte[] euro = "€".getBytes(StandardCharsets.UTF_8);

    assertThat(d.push(euro[0] & 0xFF)).isEmpty();
    assertThat(d.push(euro[1] & 0xFF)).isEmpty();
    assertThat(d.flush()).isEqualTo("\uFFFD");
  }

  @Test
  void should_sample_greedily_at_temperature_zero_and_reproducibly_with_a_seed() {
    float[] logits = {0.1f, 2.0f, 1.9f, -1f};

    assertThat(new Sampler(0, 0, 1, 1).sample(logits, 4)).isEqualTo(1);
    assertThat(new Sampler(1.0, 1, 1, 99).sample(logits, 4)).as("top-k 1 is greedy").isEqualTo(1);
    assertThat(new Sampler(1.0, 0, 0.01, 99).sample(logits, 4)).as("tiny top-p keeps the top token").isEqualTo(1);
    List<Integer> a = draws(new Sampler(1.0, 0, 1, 5), logits);
    assertThat(draws(new Sampler(1.0, 0, 1, 5), logits)).isEqualTo(a);
    assertThat(a).contains(1, 2);
    assertThat(a.stream().filter(t -> t == 3).count()).as("the least likely token is rare").isLessThan(20);
    assertThat(draws(new Sampler(1.0, 2, 1, 5), logits)).containsOnly(1, 2);
  }

  private static List<Integer> draws(Sampler s, float[] logits) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      out.add(s.sample(logits, logits.length));
    }
    return out;
  }

  private static GenerationJob job(List<String> stops, int max, RecordingSink sink) {
    return new GenerationJob(new int[] {1}, new Sampler(0, 0, 1, 1), max, -1, stops, new ByteTokenizer().newDetokenizer(), sink, Long.MAX_VALUE);
  }

  private static void feed(GenerationJob job, String text) {
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      if (!job.accept(b & 0xFF)) {
        return;
      }
    }
  }

  @Test
  void should_cut_at_a_stop_sequence_without_sending_any_of_it() {
    RecordingSink sink = new RecordingSink();
    GenerationJob job = job(List.of("END", "\n\n"), 100, sink);

    feed(job, "to be ENor not ENDING");
    Completion c = job.result.join();

    assertThat(c.finishReason()).isEqualTo(FinishReason.STOP_SEQUENCE);
    assertThat(c.text()).isEqualTo("to be ENor not ");
    assertThat(String.join("", sink.pieces)).isEqualTo(c.text());
    assertThat(sink.pieces).noneMatch(p -> p.contains("END"));
  }

  @Test
  void should_send_held_text_that_never_became_a_stop_sequence_when_generation_ends() {
    RecordingSink sink = new RecordingSink();
    GenerationJob job = job(List.of("END"), 5, sink);

    feed(job, "abcEN");
    Completion c = job.result.join();

    assertThat(c.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(c.text()).isEqualTo("abcEN");
    assertThat(String.join("", sink.pieces)).isEqualTo("abcEN");
    assertThat(c.usage().get().completionTokens()).isEqualTo(5);
  }
}
