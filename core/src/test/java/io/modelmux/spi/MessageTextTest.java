package io.modelmux.spi;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class MessageTextTest {
  @Test
  void should_quote_short_text_as_it_is() {
    assertThat(MessageText.quote("tiny-lm")).isEqualTo("'tiny-lm'");
    assertThat(MessageText.quote("")).isEqualTo("''");
  }

  @Test
  void should_cut_long_text_at_the_limit_and_say_how_much_was_cut() {
    String quoted = MessageText.quote("a".repeat(1_048_576));

    assertThat(quoted).isEqualTo("'" + "a".repeat(200) + "…' (cut: 1,048,376 more characters)");
  }

  @Test
  void should_escape_control_and_invisible_characters() {
    String hostile = "ok\u001b[2J\u0007\b\r\n\t\u007f\u0085\u202e\u200b\u2028end";

    assertThat(MessageText.quote(hostile)).isEqualTo("'ok\\u001b[2J\\u0007\\u0008\\r\\n\\t\\u007f\\u0085\\u202e\\u200b\\u2028end'");
    assertThat(MessageText.escape(hostile)).doesNotContainPattern("[\\p{Cc}\\p{Cf}\\p{Zl}]");
  }

  @Test
  void should_keep_printable_unicode_and_escape_lone_surrogates() {
    assertThat(MessageText.quote("héllo 世界 🙂")).isEqualTo("'héllo 世界 🙂'");
    assertThat(MessageText.quote("a\ud800b\udc00")).isEqualTo("'a\\ud800b\\udc00'");
    assertThat(MessageText.quote("\uDB40\uDC01tag")).isEqualTo("'\\u{E0001}tag'");
  }

  @Test
  void should_count_escapes_against_the_limit() {
    String quoted = MessageText.quote("\u0007".repeat(1000));

    assertThat(quoted).startsWith("'" + "\\u0007".repeat(33) + "…'").endsWith("(cut: 967 more characters)");
  }

  @Test
  void should_return_the_same_text_when_nothing_needs_escaping() {
    String text = "a plain message";

    assertThat(MessageText.escape(text)).isSameAs(text);
  }

  @Test
  void should_clip_without_quotes() {
    assertThat(MessageText.clip("models[0].x")).isEqualTo("models[0].x");
    assertThat(MessageText.clip("k".repeat(300))).isEqualTo("k".repeat(200) + "… (cut: 100 more characters)");
  }

  @Test
  void should_blank_secrets_before_cutting_so_that_no_part_survives() {
    String key = "sk-0123456789abcdefghij";
    String text = "x".repeat(190) + key + " and more";

    String quoted = MessageText.quote(text, Secrets.of(List.of(key)));

    assertThat(quoted).doesNotContain("sk-012").contains("x".repeat(190) + "(secret");
  }

  @Test
  void should_quote_a_text_body_and_describe_an_empty_one() {
    assertThat(MessageText.body("{\"error\":\"boom\"}".getBytes(UTF_8), Secrets.none())).isEqualTo("'{\"error\":\"boom\"}'");
    assertThat(MessageText.body(new byte[0], Secrets.none())).isEqualTo("an empty body");
  }

  @Test
  void should_describe_binary_and_compressed_bodies_instead_of_printing_them() throws IOException {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write("hidden".getBytes(UTF_8));
    }
    byte[] withNul = {'a', 0, 'b'};
    byte[] notUtf8 = {(byte) 0xC3, (byte) 0x28, 'a', 'b'};

    assertThat(MessageText.body(gz.toByteArray(), Secrets.none())).matches("a gzip-compressed body of \\d+ bytes \\(not shown\\)");
    assertThat(MessageText.body(withNul, Secrets.none())).isEqualTo("a binary body of 3 bytes (not shown)");
    assertThat(MessageText.body(notUtf8, Secrets.none())).isEqualTo("a binary body of 4 bytes (not shown)");
  }

  @Test
  void should_say_how_long_a_body_is_when_only_its_head_was_read() {
    byte[] head = "e".repeat(300).getBytes(UTF_8);

    assertThat(MessageText.body(head, 1_000_000, Secrets.none())).endsWith("…' (cut: the body has 1,000,000 bytes)");
    assertThat(MessageText.body(head, -1, Secrets.none())).endsWith("…' (cut: the body has more than 300 bytes)");
    assertThat(MessageText.body("short".getBytes(UTF_8), 9_000, Secrets.none())).isEqualTo("'short…' (cut: the body has 9,000 bytes)");
  }

  @Test
  void should_read_a_utf8_character_cut_at_the_end_of_the_window_as_text() {
    byte[] body = ("é".repeat(40_000)).getBytes(UTF_8); // 80,000 bytes: the 64 KiB window ends mid-character? no: on a boundary
    byte[] odd = ("x" + "é".repeat(40_000)).getBytes(UTF_8); // the window ends inside a character

    assertThat(MessageText.body(body, Secrets.none())).startsWith("'é");
    assertThat(MessageText.body(odd, Secrets.none())).startsWith("'xé").endsWith("(cut: the body has 80,001 bytes)");
  }
}
